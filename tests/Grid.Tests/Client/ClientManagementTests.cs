using Grid.Client;
using Grid.Tests.Infrastructure;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace Grid.Tests.Client;

/// <summary>The SDK's control plane against a real node: versions, aliases (weighted), listing, account, usage, stats, DI and profiles.</summary>
public sealed class ClientManagementTests(ClientFixture fixture) : IClassFixture<ClientFixture>
{
    private GridClient Client => fixture.Client;

    [Fact]
    public async Task Publish_alias_and_weighted_alias_route_invokes_to_versions()
    {
        var name = NodeFixture.UniqueName("sdk-shop");
        using var source = new TempFolder();
        async Task<FunctionInfo> DeployVersion(string text)
        {
            source.Write("app.py", $"def handler(e, c):\n    return \"{text}\"\n");
            return await Client.DeployAsync(new DeployRequest
            {
                FunctionName = name, Directory = source.Path, Runtime = "python3.11", Handler = "app.handler", Publish = true, Description = text,
            });
        }

        Assert.Equal("1", (await DeployVersion("v1")).Version);
        Assert.Equal("2", (await DeployVersion("v2")).Version);
        var versions = await Client.ListVersionsAsync(name).Select(v => v.Version).ToListAsync();
        Assert.Equal(["$LATEST", "1", "2"], versions);

        var live = await Client.SetAliasAsync(name, "live", "1", description: "production");
        Assert.Equal("1", live.FunctionVersion);
        Assert.EndsWith($":function:{name}:live", live.AliasArn);
        var pinned = await Client.InvokeRawAsync(name, "{}"u8.ToArray(), new InvokeOptions { Qualifier = "live" });
        Assert.Equal(("\"v1\"", "1"), (pinned.PayloadText, pinned.ExecutedVersion));
        // A qualified name in the path (name:alias) is signed like the AWS SDKs do: encoded once more in the canonical URI.
        Assert.Equal("\"v1\"", (await Client.InvokeRawAsync($"{name}:live", "{}"u8.ToArray())).PayloadText);

        var canary = await Client.SetAliasAsync(name, "live", "1", new Dictionary<string, double> { ["2"] = 0.5 });
        Assert.Equal(0.5, canary.AdditionalVersionWeights!["2"]);
        Assert.Equal(0.5, (await Client.GetAliasAsync(name, "live")).AdditionalVersionWeights!["2"]);
        var executed = new HashSet<string>();
        for (var i = 0; i < 40 && executed.Count < 2; i++)
        {
            executed.Add((await Client.InvokeRawAsync(name, "{}"u8.ToArray(), new InvokeOptions { Qualifier = "live" })).ExecutedVersion!);
        }
        Assert.Equal(["1", "2"], executed.Order());

        var promoted = await Client.SetAliasAsync(name, "live", "2");
        Assert.Null(promoted.AdditionalVersionWeights);
        Assert.Equal("\"v2\"", (await Client.InvokeRawAsync(name, "{}"u8.ToArray(), new InvokeOptions { Qualifier = "live" })).PayloadText);
        Assert.Equal(["live"], await Client.ListAliasesAsync(name).Select(a => a.Name).ToListAsync());

        await Client.DeleteAliasAsync(name, "live");
        await Assert.ThrowsAsync<GridNotFoundException>(() => Client.GetAliasAsync(name, "live"));
        await Client.DeleteFunctionAsync(name, "1");
        await Assert.ThrowsAsync<GridNotFoundException>(() => Client.GetFunctionAsync(name, "1"));
        Assert.Equal("v2", (await Client.GetFunctionAsync(name, "2")).Description);
        await Client.DeleteFunctionAsync(name);
        await Assert.ThrowsAsync<GridNotFoundException>(() => Client.GetFunctionAsync(name));
    }

    [Fact]
    public async Task Listing_account_settings_usage_and_stats_reflect_the_node()
    {
        var name = await fixture.DeployPythonAsync("echo");
        await Client.InvokeRawAsync(name, "{}"u8.ToArray());
        var info = await Client.GetFunctionAsync(name);
        Assert.Equal("python3.11", info.Runtime);
        Assert.Equal("$LATEST", info.Version);
        Assert.Contains(await Client.ListFunctionsAsync().ToListAsync(), f => f.FunctionName == name && f.CodeSha256 == info.CodeSha256);

        await Client.SetReservedConcurrencyAsync(name, 5);
        Assert.Equal(5, (await Client.GetFunctionAsync(name)).ReservedConcurrency);
        var account = await Client.GetAccountSettingsAsync();
        Assert.True(account.ConcurrentExecutions > 0);
        Assert.Equal(account.ConcurrentExecutions - 5, account.UnreservedConcurrentExecutions);
        Assert.True(account.FunctionCount >= 1);
        await Client.DeleteReservedConcurrencyAsync(name);

        var usage = await Client.GetUsageAsync(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddHours(1));
        Assert.Equal(fixture.Main.AccountId, usage.AccountId);
        Assert.True(usage.End > usage.Start);
        Assert.NotNull(usage.Total);

        var stats = await Client.GetStatsAsync();
        Assert.EndsWith(":" + fixture.Node.Port, stats.Node);
        Assert.True(stats.UptimeSeconds > 0);
        var line = Assert.Single(stats.Functions, f => f.FunctionName == name);
        Assert.Equal(1, line.Invocations);
        Assert.Equal(1, line.ColdStarts);
    }

    [Fact]
    public async Task AddGridClient_registers_a_typed_client_that_works()
    {
        var services = new ServiceCollection();
        services.AddGridClient(o =>
        {
            o.Endpoint = new Uri(fixture.Node.Endpoint);
            o.AccessKeyId = fixture.Main.AccessKeyId;
            o.SecretAccessKey = fixture.Main.SecretAccessKey;
        });
        await using var provider = services.BuildServiceProvider();
        var client = provider.GetRequiredService<IGridClient>();
        Assert.IsType<GridClient>(client);
        var name = await fixture.DeployPythonAsync("echo");
        var answer = await client.InvokeAsync<Dictionary<string, int>, Dictionary<string, int>>(name, new() { ["n"] = 42 });
        Assert.Equal(42, answer!["n"]);
        Assert.NotSame(client, provider.GetRequiredService<IGridClient>()); // typed clients are transient; the handlers are pooled
    }

    [Fact]
    public async Task A_saved_profile_loads_back_and_connects()
    {
        using var home = new TempFolder();
        var file = System.IO.Path.Combine(home.Path, "nested", "config");
        var profile = new GridProfile("test", new Uri(fixture.Node.Endpoint), fixture.Main.AccessKeyId, fixture.Main.SecretAccessKey, "us-east-1");
        GridProfile.Save(new GridProfile("other", new Uri("http://10.0.0.1:9000"), "AKIDOTHER", "secret", "eu-west-1"), file);
        GridProfile.Save(profile with { Region = "eu-west-1" }, file);
        GridProfile.Save(profile, file); // replaces the section

        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(file));
        var loaded = GridProfile.Load(file);
        Assert.Equal(["other", "test"], loaded.Select(p => p.Name));
        Assert.Equal(profile, loaded.Single(p => p.Name == "test"));
        Assert.Equal("eu-west-1", loaded.Single(p => p.Name == "other").Region);

        using var client = new GridClient(GridClientOptions.FromProfile("test", file));
        Assert.True((await client.GetAccountSettingsAsync()).ConcurrentExecutions > 0);

        Assert.True(GridProfile.Remove("other", file));
        Assert.False(GridProfile.Remove("other", file));
        Assert.Equal(["test"], GridProfile.Load(file).Select(p => p.Name));
        var missing = Assert.Throws<InvalidOperationException>(() => GridClientOptions.FromProfile("other", file));
        Assert.Contains("'other' was not found in " + file, missing.Message);
    }
}

/// <summary>A temporary directory removed at the end of a test.</summary>
public sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("grid-sdk-").FullName;

    public void Write(string name, string content) => File.WriteAllText(System.IO.Path.Combine(Path, name), content);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}
