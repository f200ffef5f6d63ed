using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Grid.Tests.Versions;
using Xunit;

namespace Grid.Tests.Layers;

/// <summary>
/// Layer versions through the real AWS CLI and boto3: publish, get, list, delete, Lambda's errors, functions that
/// reference layers. Runs once per storage mode (subclasses at the bottom).
/// </summary>
public abstract class LayerTests(NodeFixture fixture)
{
    private AwsCli Aws => fixture.Cli;

    private const string Timestamp = @"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$";

    private static List<long> VersionNumbers(JsonNode listed) =>
        listed["LayerVersions"]!.AsArray().Select(v => (long)v!["Version"]!).Order().ToList();

    private static JsonNode? Entry(JsonNode listed, string layer) =>
        listed["Layers"]!.AsArray().SingleOrDefault(l => (string?)l!["LayerName"] == layer);

    [Fact]
    public async Task Publish_get_list_and_delete_layer_versions()
    {
        var layer = NodeFixture.UniqueName("layer");
        var arn = LayerPackages.LayerArn(fixture, layer);
        var one = LayerPackages.Python("one");
        var two = LayerPackages.Python("two");

        var first = await LayerPackages.PublishAsync(Aws, layer, one, "--compatible-runtimes", "python3.11",
            "--description", "first", "--license-info", "MIT", "--compatible-architectures", "x86_64");
        Assert.Equal(1, (long?)first["Version"]);
        Assert.Equal(arn, (string?)first["LayerArn"]);
        Assert.Equal(arn + ":1", (string?)first["LayerVersionArn"]);
        Assert.Equal("first", (string?)first["Description"]);
        Assert.Equal("MIT", (string?)first["LicenseInfo"]);
        Assert.Equal(["python3.11"], first["CompatibleRuntimes"]!.AsArray().Select(r => (string)r!).ToList());
        Assert.Equal(["x86_64"], first["CompatibleArchitectures"]!.AsArray().Select(r => (string)r!).ToList());
        Assert.Matches(Timestamp, (string?)first["CreatedDate"]);
        Assert.Equal(Zips.Sha256(one), (string?)first["Content"]!["CodeSha256"]);
        Assert.Equal(one.Length, (long?)first["Content"]!["CodeSize"]);
        var location = (string)first["Content"]!["Location"]!;
        Assert.StartsWith("http", location);
        using var http = new HttpClient();
        Assert.Equal(one, await http.GetByteArrayAsync(location));

        var second = await LayerPackages.PublishAsync(Aws, layer, two, "--compatible-runtimes", "nodejs20.x");
        Assert.Equal(2, (long?)second["Version"]);
        Assert.Equal(arn + ":2", (string?)second["LayerVersionArn"]);

        var got = await Aws.OkAsync("lambda", "get-layer-version", "--layer-name", layer, "--version-number", "1");
        Assert.Equal(1, (long?)got["Version"]);
        Assert.Equal(arn + ":1", (string?)got["LayerVersionArn"]);
        Assert.Equal(arn, (string?)got["LayerArn"]);
        Assert.Equal("first", (string?)got["Description"]);
        Assert.Equal("MIT", (string?)got["LicenseInfo"]);
        Assert.Equal((string?)first["CreatedDate"], (string?)got["CreatedDate"]);
        Assert.Equal(Zips.Sha256(one), (string?)got["Content"]!["CodeSha256"]);
        Assert.Equal(one, await http.GetByteArrayAsync((string)got["Content"]!["Location"]!));
        var byLayerArn = await Aws.OkAsync("lambda", "get-layer-version", "--layer-name", arn, "--version-number", "2");
        Assert.Equal(Zips.Sha256(two), (string?)byLayerArn["Content"]!["CodeSha256"]);

        var byArn = await Aws.OkAsync("lambda", "get-layer-version-by-arn", "--arn", arn + ":2");
        Assert.Equal(2, (long?)byArn["Version"]);
        Assert.Equal(Zips.Sha256(two), (string?)byArn["Content"]!["CodeSha256"]);
        Assert.Equal(two, await http.GetByteArrayAsync((string)byArn["Content"]!["Location"]!));

        var versions = await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer);
        Assert.Equal([1L, 2L], VersionNumbers(versions));
        var listedFirst = versions["LayerVersions"]!.AsArray().Single(v => (long?)v!["Version"] == 1)!;
        Assert.Equal(arn + ":1", (string?)listedFirst["LayerVersionArn"]);
        Assert.Equal("first", (string?)listedFirst["Description"]);
        Assert.Equal([1L, 2L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer, "--page-size", "1")));

        var all = Entry(await Aws.OkAsync("lambda", "list-layers"), layer);
        Assert.NotNull(all);
        Assert.Equal(arn, (string?)all["LayerArn"]);
        Assert.Equal(2, (long?)all["LatestMatchingVersion"]!["Version"]);
        Assert.Equal(arn + ":2", (string?)all["LatestMatchingVersion"]!["LayerVersionArn"]);
        var python = Entry(await Aws.OkAsync("lambda", "list-layers", "--compatible-runtime", "python3.11"), layer);
        Assert.NotNull(python);
        Assert.Equal(1, (long?)python["LatestMatchingVersion"]!["Version"]);
        Assert.Equal("first", (string?)python["LatestMatchingVersion"]!["Description"]);
        Assert.Null(Entry(await Aws.OkAsync("lambda", "list-layers", "--compatible-runtime", "python3.12"), layer));
        Assert.NotNull(Entry(await Aws.OkAsync("lambda", "list-layers", "--page-size", "1"), layer));

        await Aws.OkAsync("lambda", "delete-layer-version", "--layer-name", layer, "--version-number", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version", "--layer-name", layer, "--version-number", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version-by-arn", "--arn", arn + ":1");
        await Aws.OkAsync("lambda", "delete-layer-version", "--layer-name", layer, "--version-number", "1"); // already gone: success
        await Aws.OkAsync("lambda", "delete-layer-version", "--layer-name", layer, "--version-number", "99");
        Assert.Equal([2L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer)));
        Assert.Null(Entry(await Aws.OkAsync("lambda", "list-layers", "--compatible-runtime", "python3.11"), layer));

        // Version numbers are not reused.
        var third = await LayerPackages.PublishAsync(Aws, layer, one);
        Assert.Equal(3, (long?)third["Version"]);
        Assert.Equal(arn + ":3", (string?)third["LayerVersionArn"]);
    }

    [Fact]
    public async Task List_layer_versions_filters_by_compatible_runtime()
    {
        var layer = NodeFixture.UniqueName("layer");
        await LayerPackages.PublishAsync(Aws, layer, LayerPackages.Python("p"), "--compatible-runtimes", "python3.11", "python3.12");
        await LayerPackages.PublishAsync(Aws, layer, LayerPackages.Python("n"), "--compatible-runtimes", "nodejs20.x");
        await LayerPackages.PublishAsync(Aws, layer, LayerPackages.Python("any"));
        Assert.Equal([1L, 2L, 3L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer)));
        Assert.Equal([1L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer,
            "--compatible-runtime", "python3.12")));
        Assert.Equal([2L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer,
            "--compatible-runtime", "nodejs20.x")));
    }

    [Fact]
    public async Task Layer_errors_are_lambdas()
    {
        var layer = NodeFixture.UniqueName("layer");
        var arn = LayerPackages.LayerArn(fixture, layer);
        await LayerPackages.PublishAsync(Aws, layer, LayerPackages.Python("x"));

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version", "--layer-name", layer + "-missing", "--version-number", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version", "--layer-name", layer, "--version-number", "7");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version-by-arn", "--arn", arn + ":7");
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "get-layer-version", "--layer-name", layer, "--version-number", "0");
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "publish-layer-version", "--layer-name", layer,
            "--zip-file", Zips.ToFileArgument(LayerPackages.Corrupt()));
        // The CLI only sends packages whose central directory reads; this one's local header is damaged instead.
        var damagedHeader = LayerPackages.Python("damaged");
        damagedHeader[0] = (byte)'X';
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "publish-layer-version", "--layer-name", layer,
            "--zip-file", Zips.ToFileArgument(damagedHeader));
        // The refused packages did not become versions.
        Assert.Equal([1L], VersionNumbers(await Aws.OkAsync("lambda", "list-layer-versions", "--layer-name", layer)));

        var six = new List<string>();
        for (var i = 0; i < 6; i++) six.Add(await LayerPackages.PublishNewAsync(fixture, LayerPackages.Python("six-" + i)));
        var second = (string)(await LayerPackages.PublishAsync(Aws, layer, LayerPackages.Python("y")))["LayerVersionArn"]!;

        var name = NodeFixture.UniqueName("layered");
        var zip = VersionedFunction.Code("layers");
        Task<CliResult> CreateWith(params string[] layers) => Aws.FailsAsync("InvalidParameterValueException",
            ["lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "app.handler",
             "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(zip), "--layers", .. layers]);
        await CreateWith(arn + ":7");
        await CreateWith(LayerPackages.LayerArn(fixture, layer + "-missing") + ":1");
        await CreateWith([.. six]);
        await CreateWith(arn + ":1", second);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);

        // Five layers are the most a function may have.
        var created = await VersionedFunction.CreateAsync(Aws, fixture.Main.AccountId, name, zip, ["--layers", .. six.Take(5)]);
        Assert.Equal(six.Take(5), LayerPackages.Layers(created).Select(l => l.Arn));
        Task<CliResult> UpdateWith(params string[] layers) => Aws.FailsAsync("InvalidParameterValueException",
            ["lambda", "update-function-configuration", "--function-name", name, "--layers", .. layers]);
        await UpdateWith(arn + ":7");
        await UpdateWith([.. six]);
        await UpdateWith(second, arn + ":1");
        var unchanged = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(six.Take(5), LayerPackages.Layers(unchanged).Select(l => l.Arn));
    }

    [Fact]
    public async Task Functions_list_their_layers_in_order_and_versions_keep_theirs()
    {
        var a = LayerPackages.Python("a");
        var b = LayerPackages.Python("b", ("extra.txt", new string('b', 300)));
        var arnA = await LayerPackages.PublishNewAsync(fixture, a);
        var arnB = await LayerPackages.PublishNewAsync(fixture, b);

        var name = NodeFixture.UniqueName("layered");
        var created = await VersionedFunction.CreateAsync(fixture, name, "l1", "--layers", arnB, arnA);
        Assert.Equal([(arnB, (long)b.Length), (arnA, (long)a.Length)], LayerPackages.Layers(created));
        var fetched = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal([(arnB, (long)b.Length), (arnA, (long)a.Length)], LayerPackages.Layers(fetched));
        var function = await Aws.OkAsync("lambda", "get-function", "--function-name", name);
        Assert.Equal([(arnB, (long)b.Length), (arnA, (long)a.Length)], LayerPackages.Layers(function["Configuration"]!));

        var published = await Aws.OkAsync("lambda", "publish-version", "--function-name", name);
        Assert.Equal([(arnB, (long)b.Length), (arnA, (long)a.Length)], LayerPackages.Layers(published));

        var updated = await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name, "--layers", arnA);
        Assert.Equal([(arnA, (long)a.Length)], LayerPackages.Layers(updated));
        var latest = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal([(arnA, (long)a.Length)], LayerPackages.Layers(latest));
        var versionOne = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name, "--qualifier", "1");
        Assert.Equal([(arnB, (long)b.Length), (arnA, (long)a.Length)], LayerPackages.Layers(versionOne));
    }

    [Fact]
    public async Task Deleting_a_layer_version_keeps_functions_using_it_working_also_in_a_new_environment()
    {
        var marker = "kept-" + Guid.NewGuid().ToString("N")[..8];
        var published = await LayerPackages.PublishAsync(Aws, NodeFixture.UniqueName("layer"), LayerPackages.Python(marker));
        var layerArn = (string)published["LayerVersionArn"]!;
        var name = await LayerPackages.DeployAsync(fixture, "python-layers", "python3.11", "app.probe",
            "--layers", layerArn, "--environment", "Variables={STAGE=before}");

        var before = await Aws.InvokeAsync(name, "{}");
        Assert.Null(before.FunctionError);
        Assert.Equal(marker, (string?)before.Json!["module"]);

        await Aws.OkAsync("lambda", "delete-layer-version", "--layer-name", (string)published["LayerArn"]!, "--version-number", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-layer-version-by-arn", "--arn", layerArn);
        var warm = await Aws.InvokeAsync(name, "{}");
        Assert.Equal(marker, (string?)warm.Json!["module"]);

        // A configuration change means a new environment, which must still get the deleted layer's files.
        await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name, "--environment", "Variables={STAGE=after}");
        var cold = await VersionedFunction.EventuallyAsync(() => Aws.InvokeAsync(name, "{}"),
            r => (string?)r.Json?["stage"] == "after", TimeSpan.FromSeconds(10));
        Assert.True(cold.FunctionError is null, cold.Payload);
        Assert.Equal("after", (string?)cold.Json!["stage"]);
        Assert.NotEqual((string?)before.Json["environment"], (string?)cold.Json["environment"]);
        Assert.True(marker == (string?)cold.Json["module"], cold.Payload);

        var configuration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal([layerArn], LayerPackages.Layers(configuration).Select(l => l.Arn));
    }

    [Fact]
    public async Task Boto3_drives_layers_and_their_errors()
    {
        var layer = NodeFixture.UniqueName("boto-layer");
        var name = NodeFixture.UniqueName("boto-layered");
        var function = Zips.FromDirectory(Path.Combine(RepoPaths.Functions, "python-layers"));
        var result = await fixture.Boto.RunAsync($$"""
            import io, zipfile
            def zipped(files):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    for path, content in files.items():
                        z.writestr(path, content)
                return buf.getvalue()
            layer = {{Boto3.Literal(layer)}}
            name = {{Boto3.Literal(name)}}
            content = zipped({"python/grid_layer_probe.py": "VALUE = 'from-boto'\n"})
            pub = client.publish_layer_version(LayerName=layer, Content={"ZipFile": content}, CompatibleRuntimes=["python3.11"],
                                               Description="boto", LicenseInfo="MIT", CompatibleArchitectures=["x86_64"])
            got = client.get_layer_version(LayerName=layer, VersionNumber=1)
            by_arn = client.get_layer_version_by_arn(Arn=pub["LayerVersionArn"])
            listed = [l for l in client.list_layers(CompatibleRuntime="python3.11")["Layers"] if l["LayerName"] == layer]
            versions = [v["Version"] for v in client.list_layer_versions(LayerName=layer)["LayerVersions"]]
            downloaded = urllib.request.urlopen(got["Content"]["Location"], timeout=30).read() == content
            created = client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.probe",
                Role="arn:aws:iam::{{fixture.Main.AccountId}}:role/test",
                Code={"ZipFile": base64.b64decode({{Boto3.Literal(Convert.ToBase64String(function))}})}, Layers=[pub["LayerVersionArn"]])
            inv = client.invoke(FunctionName=name, Payload=b"{}")
            payload = json.loads(inv["Payload"].read())
            others = [client.publish_layer_version(LayerName=layer + "-%d" % i, Content={"ZipFile": content})["LayerVersionArn"] for i in range(6)]
            second = client.publish_layer_version(LayerName=layer, Content={"ZipFile": content})["LayerVersionArn"]
            role = "arn:aws:iam::{{fixture.Main.AccountId}}:role/test"
            def create_with(layers):
                return error(client.create_function, FunctionName=name + "-x", Runtime="python3.11", Handler="app.probe", Role=role,
                             Code={"ZipFile": content}, Layers=layers)
            errors = {
                "missing": error(client.get_layer_version, LayerName=layer, VersionNumber=42),
                "missing_layer": error(client.get_layer_version, LayerName=layer + "-nope", VersionNumber=1),
                "zero": error(unvalidated.get_layer_version, LayerName=layer, VersionNumber=0),
                "by_arn_missing": error(client.get_layer_version_by_arn, Arn=pub["LayerArn"] + ":42"),
                "broken": error(client.publish_layer_version, LayerName=layer, Content={"ZipFile": b"PK\x03\x04 not really a zip"}),
                "unknown": create_with([pub["LayerArn"] + ":42"]),
                "six": create_with(others),
                "same_layer": create_with([pub["LayerVersionArn"], second]),
                "update_unknown": error(client.update_function_configuration, FunctionName=name, Layers=[pub["LayerArn"] + ":42"]),
            }
            deleted = client.delete_layer_version(LayerName=layer, VersionNumber=1)
            deleted_missing = client.delete_layer_version(LayerName=layer, VersionNumber=99)
            after = error(client.get_layer_version, LayerName=layer, VersionNumber=1)
            out({"pub": pub, "got": got, "by_arn": by_arn, "listed": listed, "versions": versions, "downloaded": downloaded,
                 "layers": created["Layers"], "payload": payload, "errors": errors, "after": after,
                 "deleted": deleted["ResponseMetadata"]["HTTPStatusCode"],
                 "deleted_missing": deleted_missing["ResponseMetadata"]["HTTPStatusCode"]})
            """);
        var arn = LayerPackages.LayerArn(fixture, layer);
        var pub = result!["pub"]!;
        Assert.Equal(201, (int?)pub["ResponseMetadata"]!["HTTPStatusCode"]);
        Assert.Equal(1, (long?)pub["Version"]);
        Assert.Equal(arn, (string?)pub["LayerArn"]);
        Assert.Equal(arn + ":1", (string?)pub["LayerVersionArn"]);
        Assert.Equal("boto", (string?)pub["Description"]);
        Assert.Equal("MIT", (string?)pub["LicenseInfo"]);
        Assert.Equal((string?)pub["Content"]!["CodeSha256"], (string?)result["got"]!["Content"]!["CodeSha256"]);
        Assert.Equal(arn + ":1", (string?)result["by_arn"]!["LayerVersionArn"]);
        Assert.Equal(1, (long?)Assert.Single(result["listed"]!.AsArray())!["LatestMatchingVersion"]!["Version"]);
        Assert.Equal([1L], result["versions"]!.AsArray().Select(v => (long)v!).ToList());
        Assert.True((bool)result["downloaded"]!);
        Assert.Equal(arn + ":1", (string?)Assert.Single(result["layers"]!.AsArray())!["Arn"]);
        Assert.Equal("from-boto", (string?)result["payload"]!["module"]);

        var errors = result["errors"]!;
        VersionTests.AssertError(errors["missing"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["missing_layer"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["zero"], "InvalidParameterValueException", 400);
        VersionTests.AssertError(errors["by_arn_missing"], "ResourceNotFoundException", 404);
        foreach (var key in new[] { "broken", "unknown", "six", "same_layer", "update_unknown" })
        {
            VersionTests.AssertError(errors[key], "InvalidParameterValueException", 400);
        }
        Assert.Equal(204, (int?)result["deleted"]);
        Assert.Equal(204, (int?)result["deleted_missing"]);
        VersionTests.AssertError(result["after"], "ResourceNotFoundException", 404);
    }
}

public sealed class EmbeddedLayerTests(EmbeddedNodeFixture fixture)
    : LayerTests(fixture), IClassFixture<EmbeddedNodeFixture>;

public sealed class ClusterLayerTests(ClusterNodeFixture fixture)
    : LayerTests(fixture), IClassFixture<ClusterNodeFixture>;
