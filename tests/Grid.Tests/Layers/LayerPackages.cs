using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;

namespace Grid.Tests.Layers;

/// <summary>Layer packages and the CLI calls the layer tests share.</summary>
public static class LayerPackages
{
    /// <summary>A layer whose python/grid_layer_probe.py (on /opt/python) holds VALUE = value, plus any extra files.</summary>
    public static byte[] Python(string value, params (string Name, string Content)[] extra) =>
        Zips.Create([("python/grid_layer_probe.py", $"VALUE = {Boto3.Literal(value)}\n"), .. extra]);

    public static string LayerArn(NodeFixture fixture, string layer) =>
        $"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:layer:{layer}";

    public static async Task<JsonNode> PublishAsync(AwsCli cli, string layer, byte[] zip, params string[] extra) =>
        await cli.OkAsync(["lambda", "publish-layer-version", "--layer-name", layer, "--zip-file", Zips.ToFileArgument(zip), .. extra]);

    /// <summary>Publishes a layer with a unique name and returns its version ARN.</summary>
    public static async Task<string> PublishNewAsync(NodeFixture fixture, byte[] zip, params string[] extra)
    {
        var published = await PublishAsync(fixture.Cli, NodeFixture.UniqueName("layer"), zip, extra);
        return (string)published["LayerVersionArn"]!;
    }

    /// <summary>Creates a function from a folder under Functions/ with the given extra flags (e.g. --layers).</summary>
    public static async Task<string> DeployAsync(NodeFixture fixture, string folder, string runtime, string handler, params string[] extra)
    {
        var name = NodeFixture.UniqueName(folder);
        await DeployAsAsync(fixture, name, Zips.FromDirectory(Path.Combine(RepoPaths.Functions, folder)), runtime, handler, extra);
        return name;
    }

    public static async Task<JsonNode> DeployAsAsync(NodeFixture fixture, string name, byte[] zip, string runtime, string handler, params string[] extra) =>
        await fixture.Cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", runtime, "--handler", handler,
            "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip), .. extra]);

    /// <summary>A zip whose directory is intact (the CLI accepts it) but whose compressed data is garbage.</summary>
    public static byte[] Corrupt()
    {
        var zip = Zips.Create(("python/broken.py", string.Concat(Enumerable.Range(0, 200).Select(i => $"value_{i} = {i * 7919}\n"))));
        for (var i = 50; i < 90; i++) zip[i] ^= 0x5A;
        return zip;
    }

    /// <summary>The Layers of a function configuration as (Arn, CodeSize) pairs, in order.</summary>
    public static List<(string Arn, long CodeSize)> Layers(JsonNode configuration) =>
        (configuration["Layers"]?.AsArray() ?? []).Select(l => ((string)l!["Arn"]!, (long)l["CodeSize"]!)).ToList();
}
