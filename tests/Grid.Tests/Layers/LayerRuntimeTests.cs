using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Grid.Tests.Invoke;
using Xunit;

namespace Grid.Tests.Layers;

/// <summary>What functions see of their layers under /opt: python/, nodejs/node_modules/, bin/, a bootstrap, the order.</summary>
public sealed class LayerRuntimeTests(InvokeFixture fixture) : IClassFixture<InvokeFixture>
{
    private AwsCli Aws => fixture.Cli;

    private static string Files(params string[] paths) =>
        new JsonObject { ["files"] = new JsonArray(paths.Select(p => (JsonNode)p).ToArray()) }.ToJsonString();

    [Fact]
    public async Task Python_imports_from_a_layer_and_runs_its_tools_from_path()
    {
        var layer = await LayerPackages.PublishNewAsync(fixture, LayerPackages.Python("imported-from-layer",
            ("bin/grid-layer-tool.sh", "#!/bin/sh\necho \"layer tool says $1\"\n")));
        var name = await LayerPackages.DeployAsync(fixture, "python-layers", "python3.11", "app.probe", "--layers", layer);

        var result = await Aws.InvokeAsync(name, "{}");
        Assert.True(result.FunctionError is null, result.Payload);
        Assert.True((string?)result.Json!["module"] == "imported-from-layer", result.Payload);
        Assert.Equal("/opt/python/grid_layer_probe.py", (string?)result.Json["module_file"]);
        Assert.True((string?)result.Json["tool"] == "layer tool says hello", result.Payload);
        Assert.Contains("/opt/bin", ((string?)result.Json["path"] ?? "").Split(':'));

        // Without the layer the same code finds neither.
        var bare = await LayerPackages.DeployAsync(fixture, "python-layers", "python3.11", "app.probe");
        var without = await Aws.InvokeAsync(bare, "{}");
        Assert.Null(without.Json!["module"]);
        Assert.Null(without.Json["tool"]);
    }

    [Fact]
    public async Task Later_layers_overwrite_earlier_ones()
    {
        var a = await LayerPackages.PublishNewAsync(fixture, LayerPackages.Python("A",
            ("grid-order.txt", "A"), ("grid-only-a.txt", "only in A")));
        var b = await LayerPackages.PublishNewAsync(fixture, LayerPackages.Python("B",
            ("grid-order.txt", "B"), ("grid-only-b.txt", "only in B")));
        var files = Files("/opt/grid-order.txt", "/opt/grid-only-a.txt", "/opt/grid-only-b.txt");

        var abName = await LayerPackages.DeployAsync(fixture, "python-layers", "python3.11", "app.probe", "--layers", a, b);
        var ab = (await Aws.InvokeAsync(abName, files)).Json!;
        Assert.Equal("B", (string?)ab["module"]);
        Assert.Equal("B", (string?)ab["files"]!["/opt/grid-order.txt"]);
        Assert.Equal("only in A", (string?)ab["files"]!["/opt/grid-only-a.txt"]);
        Assert.Equal("only in B", (string?)ab["files"]!["/opt/grid-only-b.txt"]);

        var baName = await LayerPackages.DeployAsync(fixture, "python-layers", "python3.11", "app.probe", "--layers", b, a);
        var ba = (await Aws.InvokeAsync(baName, files)).Json!;
        Assert.Equal("A", (string?)ba["module"]);
        Assert.Equal("A", (string?)ba["files"]!["/opt/grid-order.txt"]);

        // Reordering the layers of an existing function changes what its next environment sees.
        await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", abName, "--layers", b, a);
        var reordered = await Versions.VersionedFunction.EventuallyAsync(() => Aws.InvokeAsync(abName, files),
            r => (string?)r.Json?["files"]?["/opt/grid-order.txt"] == "A", TimeSpan.FromSeconds(10));
        Assert.Equal("A", (string?)reordered.Json!["files"]!["/opt/grid-order.txt"]);
        Assert.Equal("A", (string?)reordered.Json["module"]);
    }

    [Fact]
    public async Task Node_requires_a_package_from_a_layer()
    {
        var layer = await LayerPackages.PublishNewAsync(fixture, Zips.Create(
            ("nodejs/node_modules/grid-greeting/index.js", "exports.greet = (who) => `hello ${who} from the layer`;\n"),
            ("nodejs/node_modules/grid-greeting/package.json", """{"name":"grid-greeting","version":"1.0.0","main":"index.js"}""")),
            "--compatible-runtimes", "nodejs20.x");
        var name = await LayerPackages.DeployAsync(fixture, "node-layers", "nodejs20.x", "index.handler", "--layers", layer);

        var result = await Aws.InvokeAsync(name, "{}");
        Assert.True(result.FunctionError is null, result.Payload);
        Assert.Equal("hello node from the layer", (string?)result.Json!["greeting"]);
        Assert.StartsWith("/opt/nodejs/node_modules/grid-greeting/", (string?)result.Json["resolved"]);
    }

    [Fact]
    public async Task A_provided_function_without_a_bootstrap_uses_the_layers()
    {
        var bootstrap = await File.ReadAllTextAsync(Path.Combine(RepoPaths.Functions, "provided", "bootstrap"));
        var layer = await LayerPackages.PublishNewAsync(fixture, Zips.Create(("bootstrap", bootstrap)));
        var name = NodeFixture.UniqueName("optboot");
        await LayerPackages.DeployAsAsync(fixture, name, Zips.Create(("readme.txt", "the runtime comes from a layer")),
            "provided.al2023", "from.layer", "--layers", layer);

        var result = await Aws.InvokeAsync(name, """{"k":"v"}""");
        Assert.True(result.FunctionError is null, result.Payload);
        Assert.Equal("from.layer", (string?)result.Json!["handler"]);
        Assert.Equal("v", (string?)result.Json["event"]!["k"]);
        Assert.Equal($"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}", (string?)result.Json["arn"]);

        // A function's own bootstrap comes first; a layer's is only the fallback.
        var broken = await LayerPackages.PublishNewAsync(fixture, Zips.Create(("bootstrap", "#!/bin/sh\necho layer bootstrap ran; exit 9\n")));
        var own = NodeFixture.UniqueName("ownboot");
        await LayerPackages.DeployAsAsync(fixture, own, Zips.FromDirectory(Path.Combine(RepoPaths.Functions, "provided")),
            "provided.al2023", "own.handler", "--layers", broken);
        var ownResult = await Aws.InvokeAsync(own, """{"k":"w"}""");
        Assert.True(ownResult.FunctionError is null, ownResult.Payload);
        Assert.Equal("own.handler", (string?)ownResult.Json!["handler"]);
    }
}
