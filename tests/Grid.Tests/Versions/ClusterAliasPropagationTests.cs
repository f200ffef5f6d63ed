using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Versions;

/// <summary>Cluster mode: an alias change made through one node reaches invokes on another within the cache bound.</summary>
public sealed class ClusterAliasPropagationTests(ClusterNodeFixture fixture) : IClassFixture<ClusterNodeFixture>
{
    [Fact]
    public async Task Update_alias_on_node_one_reaches_invokes_on_node_two_within_three_seconds()
    {
        await using var second = await fixture.StartNodeAsync("node2");
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "propagate");
        await fixture.Cli.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");

        // Both nodes serve the alias (and so have it cached) before the change; then one process updates through
        // node one and polls node two, timing from the moment update_alias returned.
        var result = await fixture.Boto.RunAsync($$"""
            import time
            name = {{Boto3.Literal(name)}}
            second = boto3.client("lambda", endpoint_url="{{second.Endpoint}}", region_name="us-east-1",
                aws_access_key_id=CREDS.access_key, aws_secret_access_key=CREDS.secret_key,
                config=Config(retries={"total_max_attempts": 1}, read_timeout=300))
            def executed(c):
                return c.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")["ExecutedVersion"]
            before = [executed(client), executed(second), executed(second)]
            client.update_alias(FunctionName=name, Name="live", FunctionVersion="2")
            changed = time.monotonic()
            first_node = executed(client)
            seen, elapsed = None, None
            while time.monotonic() - changed < 10:
                seen = executed(second)
                if seen == "2":
                    elapsed = time.monotonic() - changed
                    break
                time.sleep(0.05)
            after = [executed(second) for _ in range(20)]
            out({"before": before, "first_node": first_node, "seen": seen, "elapsed": elapsed, "after": after})
            """);
        Assert.Equal(["1", "1", "1"], result!["before"]!.AsArray().Select(v => (string)v!).ToList());
        Assert.Equal("2", (string?)result["first_node"]); // the node that made the change sees it at once
        Assert.Equal("2", (string?)result["seen"]);
        Assert.InRange((double)result["elapsed"]!, 0, 3.0);
        Assert.All(result["after"]!.AsArray(), v => Assert.Equal("2", (string?)v)); // and it stays changed
    }
}
