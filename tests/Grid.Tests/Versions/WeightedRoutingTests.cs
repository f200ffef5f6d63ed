using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Versions;

/// <summary>Weighted aliases: the split over many invokes, and weight changes taking effect on the next invoke.</summary>
public sealed class WeightedRoutingTests(EmbeddedNodeFixture fixture) : IClassFixture<EmbeddedNodeFixture>
{
    private AwsCli Aws => fixture.Cli;

    /// <summary>Invokes the alias <paramref name="count"/> times on 8 threads; counts ExecutedVersion and checks the code that ran.</summary>
    private static string Spread(string name, int count) => $$"""
        from collections import Counter
        from concurrent.futures import ThreadPoolExecutor
        def call(_):
            r = client.invoke(FunctionName={{Boto3.Literal(name)}}, Qualifier="live", Payload=b"{}")
            payload = json.loads(r["Payload"].read())
            return r["ExecutedVersion"], payload.get("marker"), r.get("FunctionError")
        with ThreadPoolExecutor(8) as pool:
            results = list(pool.map(call, range({{count}})))
        counts = Counter(version for version, _, _ in results)
        wrong = [r for r in results if r[2] or r[1] != "v" + r[0]][:5]

        """;

    [Fact]
    public async Task Ten_thousand_invokes_split_within_four_standard_deviations()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "weighted");
        var alias = await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live",
            "--function-version", "1", "--routing-config", "AdditionalVersionWeights={2=0.2}");
        Assert.Equal(0.2, (double?)alias["RoutingConfig"]!["AdditionalVersionWeights"]!["2"]);

        var result = await fixture.Boto.RunAsync(Spread(name, 10_000) + """
            out({"counts": counts, "wrong": wrong})
            """);
        var counts = result!["counts"]!.AsObject();
        Assert.Empty(result["wrong"]!.AsArray()); // ExecutedVersion always names the code that ran
        Assert.Equal(["1", "2"], counts.Select(c => c.Key).Order(StringComparer.Ordinal).ToList());
        var second = (int)counts["2"]!;
        Assert.Equal(10_000, (int)counts["1"]! + second);
        // Binomial(10000, 0.2): mean 2000, standard deviation 40.
        Assert.InRange(second, 1840, 2160);
    }

    [Fact]
    public async Task Shifting_weights_takes_effect_on_the_next_invoke()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "shift");
        await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live",
            "--function-version", "1", "--routing-config", "AdditionalVersionWeights={2=0.5}");

        // Weight 0.0 for version 2: everything runs version 1.
        await Aws.OkAsync("lambda", "update-alias", "--function-name", name, "--name", "live",
            "--routing-config", "AdditionalVersionWeights={2=0.0}");
        var zero = await fixture.Boto.RunAsync(Spread(name, 400) + """
            out({"counts": counts, "wrong": wrong})
            """);
        Assert.Empty(zero!["wrong"]!.AsArray());
        Assert.Equal(400, (int?)zero["counts"]!["1"]);
        Assert.Null(zero["counts"]!["2"]);

        // Everything on version 2, no routing: the very next invoke already runs version 2.
        var moved = await Aws.OkAsync("lambda", "update-alias", "--function-name", name, "--name", "live",
            "--function-version", "2", "--routing-config", "AdditionalVersionWeights={}");
        Assert.Equal("2", (string?)moved["FunctionVersion"]);
        Assert.Empty(moved["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject() ?? []);
        var next = await Aws.InvokeAsync(name, "{}", "--qualifier", "live");
        Assert.Equal("2", next.ExecutedVersion);
        Assert.Equal("v2", (string?)next.Json!["marker"]);
        var all = await fixture.Boto.RunAsync(Spread(name, 400) + """
            out({"counts": counts, "wrong": wrong})
            """);
        Assert.Empty(all!["wrong"]!.AsArray());
        Assert.Equal(400, (int?)all["counts"]!["2"]);
        Assert.Null(all["counts"]!["1"]);

        // The same through boto3 within one process: update, then invoke at once, back and forth.
        var flips = await fixture.Boto.RunAsync($$$"""
            seen = []
            for target in ["1", "2", "1", "2", "1"]:
                client.update_alias(FunctionName={{{Boto3.Literal(name)}}}, Name="live", FunctionVersion=target,
                                    RoutingConfig={"AdditionalVersionWeights": {}})
                r = client.invoke(FunctionName={{{Boto3.Literal(name)}}}, Qualifier="live", Payload=b"{}")
                seen.append([target, r["ExecutedVersion"], json.loads(r["Payload"].read())["marker"]])
            out(seen)
            """);
        foreach (var flip in flips!.AsArray())
        {
            var target = (string)flip![0]!;
            Assert.Equal(target, (string?)flip[1]);
            Assert.Equal("v" + target, (string?)flip[2]);
        }
    }
}
