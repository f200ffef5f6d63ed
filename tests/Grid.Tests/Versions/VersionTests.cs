using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Versions;

/// <summary>
/// Published versions through the real AWS CLI and boto3: publish, list, qualified get and invoke, delete. Runs once
/// per storage mode (subclasses at the bottom).
/// </summary>
public abstract class VersionTests(NodeFixture fixture)
{
    private AwsCli Aws => fixture.Cli;

    private string Arn(string name) => VersionedFunction.Arn(fixture, name);

    [Fact]
    public async Task Publish_version_snapshots_code_and_configuration()
    {
        var name = NodeFixture.UniqueName("ver");
        var v1 = VersionedFunction.Code("v1");
        await VersionedFunction.CreateAsync(Aws, fixture.Main.AccountId, name, v1,
            "--environment", "Variables={STAGE=one}", "--memory-size", "256");

        var published = await Aws.OkAsync("lambda", "publish-version", "--function-name", name, "--description", "first cut");
        Assert.Equal("1", (string?)published["Version"]);
        Assert.Equal(Arn(name) + ":1", (string?)published["FunctionArn"]);
        Assert.Equal(name, (string?)published["FunctionName"]);
        Assert.Equal("Active", (string?)published["State"]);
        Assert.Equal("first cut", (string?)published["Description"]);
        Assert.Equal(Zips.Sha256(v1), (string?)published["CodeSha256"]);
        Assert.Equal(v1.Length, (long?)published["CodeSize"]);
        Assert.Equal(256, (int?)published["MemorySize"]);
        Assert.Equal("one", (string?)published["Environment"]!["Variables"]!["STAGE"]);
        Assert.False(string.IsNullOrEmpty((string?)published["RevisionId"]));

        // Nothing changed: the same version comes back.
        var again = await Aws.OkAsync("lambda", "publish-version", "--function-name", name);
        Assert.Equal("1", (string?)again["Version"]);

        // $LATEST moves on; version 1 keeps its code and configuration.
        var v2 = VersionedFunction.Code("v2");
        await Aws.OkAsync("lambda", "update-function-code", "--function-name", name, "--zip-file", Zips.ToFileArgument(v2));
        await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name,
            "--environment", "Variables={STAGE=two}", "--memory-size", "512");
        var second = await Aws.OkAsync("lambda", "publish-version", "--function-name", name);
        Assert.Equal("2", (string?)second["Version"]);
        Assert.Equal(Arn(name) + ":2", (string?)second["FunctionArn"]);
        Assert.Equal(Zips.Sha256(v2), (string?)second["CodeSha256"]);
        Assert.Equal(512, (int?)second["MemorySize"]);

        // A configuration-only change is a change too.
        await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name, "--timeout", "9");
        var third = await Aws.OkAsync("lambda", "publish-version", "--function-name", name);
        Assert.Equal("3", (string?)third["Version"]);
        Assert.Equal(9, (int?)third["Timeout"]);

        var one = await Aws.InvokeAsync(name, "{}", "--qualifier", "1");
        Assert.Equal(200, one.StatusCode);
        Assert.Equal("1", one.ExecutedVersion);
        Assert.Equal("v1", (string?)one.Json!["marker"]);
        Assert.Equal("1", (string?)one.Json["version"]);
        Assert.Equal("1", (string?)one.Json["env_version"]);
        Assert.Equal(Arn(name) + ":1", (string?)one.Json["arn"]);
        Assert.Equal("one", (string?)one.Json["stage"]);

        var two = await Aws.InvokeAsync(name + ":2", "{}");
        Assert.Equal("2", two.ExecutedVersion);
        Assert.Equal("v2", (string?)two.Json!["marker"]);
        Assert.Equal("2", (string?)two.Json["version"]);
        Assert.Equal(Arn(name) + ":2", (string?)two.Json["arn"]);
        Assert.Equal("two", (string?)two.Json["stage"]);

        var byArn = await Aws.InvokeAsync(Arn(name) + ":1", "{}");
        Assert.Equal("1", byArn.ExecutedVersion);
        Assert.Equal("v1", (string?)byArn.Json!["marker"]);

        var latest = await VersionedFunction.EventuallyAsync(() => Aws.InvokeAsync(name, "{}"),
            r => (string?)r.Json!["marker"] == "v2" && (string?)r.Json["stage"] == "two", TimeSpan.FromSeconds(5));
        Assert.Equal("$LATEST", latest.ExecutedVersion);
        Assert.Equal("v2", (string?)latest.Json!["marker"]);
        Assert.Equal("$LATEST", (string?)latest.Json["version"]);

        var function = await Aws.OkAsync("lambda", "get-function", "--function-name", name, "--qualifier", "1");
        var configuration = function["Configuration"]!;
        Assert.Equal("1", (string?)configuration["Version"]);
        Assert.Equal(Arn(name) + ":1", (string?)configuration["FunctionArn"]);
        Assert.Equal(Zips.Sha256(v1), (string?)configuration["CodeSha256"]);
        Assert.Equal(256, (int?)configuration["MemorySize"]);
        Assert.Equal("first cut", (string?)configuration["Description"]);
        using (var http = new HttpClient())
        {
            Assert.Equal(v1, await http.GetByteArrayAsync((string)function["Code"]!["Location"]!));
        }

        var byName = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name + ":1");
        Assert.Equal("1", (string?)byName["Version"]);
        Assert.Equal("one", (string?)byName["Environment"]!["Variables"]!["STAGE"]);
        var byQualifier = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name, "--qualifier", "2");
        Assert.Equal("2", (string?)byQualifier["Version"]);
        Assert.Equal(512, (int?)byQualifier["MemorySize"]);
        Assert.Equal("two", (string?)byQualifier["Environment"]!["Variables"]!["STAGE"]);
        var byFullArn = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", Arn(name) + ":3");
        Assert.Equal("3", (string?)byFullArn["Version"]);
        Assert.Equal(9, (int?)byFullArn["Timeout"]);

        var latestConfiguration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal("$LATEST", (string?)latestConfiguration["Version"]);
        Assert.Equal(Arn(name), (string?)latestConfiguration["FunctionArn"]);
        Assert.Equal(Zips.Sha256(v2), (string?)latestConfiguration["CodeSha256"]);

        // The qualifier in the name and the Qualifier parameter must agree.
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "get-function-configuration",
            "--function-name", name + ":1", "--qualifier", "2");
    }

    [Fact]
    public async Task Publish_version_checks_code_sha256_and_revision_id()
    {
        var name = NodeFixture.UniqueName("ver");
        await VersionedFunction.CreateAsync(fixture, name, "checked");

        var sha = await Aws.FailsAsync("InvalidParameterValueException", "lambda", "publish-version", "--function-name", name,
            "--code-sha256", Zips.Sha256(VersionedFunction.Code("something else")));
        Assert.False(string.IsNullOrEmpty(sha.ErrorMessage));
        await Aws.FailsAsync("PreconditionFailedException", "lambda", "publish-version", "--function-name", name,
            "--revision-id", "00000000-0000-0000-0000-000000000000");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "publish-version", "--function-name", name + "-missing");

        // None of the refused publishes made a version.
        Assert.Equal(["$LATEST"], VersionedFunction.Versions(
            await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name)));

        var current = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        var published = await Aws.OkAsync("lambda", "publish-version", "--function-name", name,
            "--code-sha256", (string)current["CodeSha256"]!, "--revision-id", (string)current["RevisionId"]!);
        Assert.Equal("1", (string?)published["Version"]);
        Assert.Equal((string?)current["CodeSha256"], (string?)published["CodeSha256"]);

        // Versions that do not exist are not found by any operation.
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name, "--qualifier", "5");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function-configuration", "--function-name", name + ":5");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name, "--qualifier", "5", "/dev/null");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "delete-function", "--function-name", name, "--qualifier", "5");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "list-versions-by-function", "--function-name", name + "-missing");
    }

    [Fact]
    public async Task List_versions_puts_latest_first_then_numeric_order_and_pages()
    {
        var name = NodeFixture.UniqueName("ver");
        var created = await VersionedFunction.CreateAsync(fixture, name, "c1", "--publish");
        Assert.Equal("1", (string?)created["Version"]);

        // Versions 2..11, so that "10" and "11" would sort before "2" as text.
        await fixture.Boto.RunAsync($$"""
            import io, zipfile
            for i in range(2, 12):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    z.writestr("app.py", "def handler(e, c):\n    return %d\n" % i)
                client.update_function_code(FunctionName={{Boto3.Literal(name)}}, ZipFile=buf.getvalue())
                version = client.publish_version(FunctionName={{Boto3.Literal(name)}})["Version"]
                assert version == str(i), (i, version)
            """);
        var expected = new List<string> { "$LATEST" };
        expected.AddRange(Enumerable.Range(1, 11).Select(i => i.ToString()));

        var all = await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name);
        Assert.Equal(expected, VersionedFunction.Versions(all));
        var versions = all["Versions"]!.AsArray();
        Assert.Equal(Arn(name) + ":$LATEST", (string?)versions[0]!["FunctionArn"]);
        for (var i = 1; i <= 11; i++) Assert.Equal($"{Arn(name)}:{i}", (string?)versions[i]!["FunctionArn"]);
        Assert.Equal((string?)versions[11]!["CodeSha256"], (string?)versions[0]!["CodeSha256"]);
        Assert.NotEqual((string?)versions[1]!["CodeSha256"], (string?)versions[2]!["CodeSha256"]);

        // --page-size sets MaxItems and the CLI follows NextMarker; --max-items cuts on the client side.
        var paged = await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name, "--page-size", "3");
        Assert.Equal(expected, VersionedFunction.Versions(paged));
        var firstFour = await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name, "--max-items", "4");
        Assert.Equal(expected.Take(4), VersionedFunction.Versions(firstFour));
        Assert.False(string.IsNullOrEmpty((string?)firstFour["NextToken"]));

        var pages = await fixture.Boto.RunAsync($$"""
            pages, marker, seen = 0, None, []
            while True:
                kwargs = {"FunctionName": {{Boto3.Literal(name)}}, "MaxItems": 5}
                if marker: kwargs["Marker"] = marker
                page = client.list_versions_by_function(**kwargs)
                pages += 1
                assert len(page["Versions"]) <= 5, len(page["Versions"])
                seen += [v["Version"] for v in page["Versions"]]
                marker = page.get("NextMarker")
                if not marker or pages > 20: break
            paginated = [v["Version"] for p in client.get_paginator("list_versions_by_function").paginate(
                FunctionName={{Boto3.Literal(name)}}, PaginationConfig={"PageSize": 2}) for v in p["Versions"]]
            out({"pages": pages, "seen": seen, "paginated": paginated})
            """);
        Assert.Equal(expected, pages!["seen"]!.AsArray().Select(v => (string)v!).ToList());
        Assert.Equal(3, (int)pages["pages"]!);
        Assert.Equal(expected, pages["paginated"]!.AsArray().Select(v => (string)v!).ToList());

        var single = await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name, "--page-size", "1");
        Assert.Equal(expected, VersionedFunction.Versions(single)); // a page that holds only $LATEST still has a next one
    }

    [Fact]
    public async Task Delete_version_removes_only_that_version_and_numbers_are_not_reused()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "verdel");
        await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");

        var inUse = await Aws.FailsAsync("ResourceConflictException", "lambda", "delete-function", "--function-name", name, "--qualifier", "1");
        Assert.False(string.IsNullOrEmpty(inUse.ErrorMessage));
        await Aws.OkAsync("lambda", "delete-function", "--function-name", name, "--qualifier", "2");

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name, "--qualifier", "2");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function-configuration", "--function-name", name + ":2");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name, "--qualifier", "2", "/dev/null");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "delete-function", "--function-name", name, "--qualifier", "2");
        Assert.Equal(["$LATEST", "1"], VersionedFunction.Versions(
            await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name)));

        // $LATEST and version 1 are untouched; the next publish does not reuse 2.
        Assert.Equal("v2", (string?)(await Aws.InvokeAsync(name, "{}")).Json!["marker"]);
        Assert.Equal("3", await VersionedFunction.PublishAsync(Aws, name, "v3"));
        var one = await Aws.InvokeAsync(name, "{}", "--qualifier", "1");
        Assert.Equal("v1", (string?)one.Json!["marker"]);
        var live = await Aws.InvokeAsync(name, "{}", "--qualifier", "live");
        Assert.Equal("1", live.ExecutedVersion);
        var three = await Aws.InvokeAsync(name, "{}", "--qualifier", "3");
        Assert.Equal("v3", (string?)three.Json!["marker"]);
        Assert.Equal(["$LATEST", "1", "3"], VersionedFunction.Versions(
            await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name)));

        // Deleting the function without a qualifier removes versions and aliases with it.
        await Aws.OkAsync("lambda", "delete-function", "--function-name", name);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name, "--qualifier", "1");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name, "--qualifier", "3", "/dev/null");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-alias", "--function-name", name, "--name", "live");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "list-versions-by-function", "--function-name", name);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "list-aliases", "--function-name", name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_functions WHERE name = '{name}'"));
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_aliases WHERE name = '{name}'"));

        // A new function of the same name is a new resource: its versions start at 1 and the old alias is gone.
        await VersionedFunction.CreateAsync(fixture, name, "reborn");
        var reborn = await Aws.OkAsync("lambda", "publish-version", "--function-name", name);
        Assert.Equal("1", (string?)reborn["Version"]);
        Assert.Empty((await Aws.OkAsync("lambda", "list-aliases", "--function-name", name))["Aliases"]!.AsArray());
        Assert.Equal("reborn", (string?)(await Aws.InvokeAsync(name, "{}", "--qualifier", "1")).Json!["marker"]);
    }

    [Fact]
    public async Task Create_and_update_code_with_publish_return_the_new_version()
    {
        var name = NodeFixture.UniqueName("verpub");
        var created = await VersionedFunction.CreateAsync(fixture, name, "p1", "--publish");
        Assert.Equal("1", (string?)created["Version"]);
        var one = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name, "--qualifier", "1");
        Assert.Equal(Zips.Sha256(VersionedFunction.Code("p1")), (string?)one["CodeSha256"]);

        var p2 = VersionedFunction.Code("p2");
        var updated = await Aws.OkAsync("lambda", "update-function-code", "--function-name", name,
            "--zip-file", Zips.ToFileArgument(p2), "--publish");
        Assert.Equal("2", (string?)updated["Version"]);
        Assert.Equal(Zips.Sha256(p2), (string?)updated["CodeSha256"]);

        // The same code again, with --publish: nothing changed, so the existing version comes back.
        var same = await Aws.OkAsync("lambda", "update-function-code", "--function-name", name,
            "--zip-file", Zips.ToFileArgument(p2), "--publish");
        Assert.Equal("2", (string?)same["Version"]);

        Assert.Equal(["$LATEST", "1", "2"], VersionedFunction.Versions(
            await Aws.OkAsync("lambda", "list-versions-by-function", "--function-name", name)));
        var invoked = await Aws.InvokeAsync(name, "{}", "--qualifier", "2");
        Assert.Equal("2", invoked.ExecutedVersion);
        Assert.Equal("p2", (string?)invoked.Json!["marker"]);
        Assert.Equal("p1", (string?)(await Aws.InvokeAsync(name, "{}", "--qualifier", "1")).Json!["marker"]);
    }

    [Fact]
    public async Task Boto3_drives_versions_and_their_errors()
    {
        var name = NodeFixture.UniqueName("boto-ver");
        var result = await fixture.Boto.RunAsync($$"""
            import io, zipfile
            def code(marker):
                buf = io.BytesIO()
                with zipfile.ZipFile(buf, "w") as z:
                    z.writestr("app.py", "def handler(e, c):\n    return {'marker': %r, 'arn': c.invoked_function_arn}\n" % marker)
                return buf.getvalue()
            name = {{Boto3.Literal(name)}}
            role = "arn:aws:iam::{{fixture.Main.AccountId}}:role/test"
            created = client.create_function(FunctionName=name, Runtime="python3.11", Handler="app.handler", Role=role,
                Code={"ZipFile": code("b1")}, Publish=True)
            client.update_function_code(FunctionName=name, ZipFile=code("b2"))
            v2 = client.publish_version(FunctionName=name, Description="boto")
            same = client.publish_version(FunctionName=name)
            def paginated(size):
                return [v["Version"] for p in client.get_paginator("list_versions_by_function").paginate(
                    FunctionName=name, PaginationConfig={"PageSize": size}) for v in p["Versions"]]
            versions = paginated(2)
            versions_single = paginated(1)
            got = client.get_function(FunctionName=name, Qualifier="1")
            conf = client.get_function_configuration(FunctionName=name + ":2")
            inv = client.invoke(FunctionName=name, Qualifier="1", Payload=b"{}")
            payload = json.loads(inv["Payload"].read())
            errors = {
                "sha": error(client.publish_version, FunctionName=name, CodeSha256="AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA="),
                "revision": error(client.publish_version, FunctionName=name, RevisionId="00000000-0000-0000-0000-000000000000"),
                "missing_function": error(client.publish_version, FunctionName=name + "-nope"),
                "missing_version": error(client.get_function, FunctionName=name, Qualifier="9"),
                "missing_configuration": error(client.get_function_configuration, FunctionName=name, Qualifier="9"),
                "invoke_missing": error(client.invoke, FunctionName=name, Qualifier="9"),
                "delete_missing": error(client.delete_function, FunctionName=name, Qualifier="9"),
                "list_missing": error(client.list_versions_by_function, FunctionName=name + "-nope"),
            }
            deleted = client.delete_function(FunctionName=name, Qualifier="1")
            after = error(client.get_function_configuration, FunctionName=name, Qualifier="1")
            left = [v["Version"] for v in client.list_versions_by_function(FunctionName=name)["Versions"]]
            out({"created": created["Version"], "v2": v2["Version"], "v2_status": v2["ResponseMetadata"]["HTTPStatusCode"],
                 "v2_description": v2["Description"], "same": same["Version"], "versions": versions, "versions_single": versions_single,
                 "got_version": got["Configuration"]["Version"], "got_arn": got["Configuration"]["FunctionArn"],
                 "conf_version": conf["Version"], "executed": inv["ExecutedVersion"], "payload": payload,
                 "errors": errors, "deleted": deleted["ResponseMetadata"]["HTTPStatusCode"], "after": after, "left": left})
            """);
        Assert.Equal("1", (string?)result!["created"]);
        Assert.Equal("2", (string?)result["v2"]);
        Assert.Equal(201, (int?)result["v2_status"]);
        Assert.Equal("boto", (string?)result["v2_description"]);
        Assert.Equal("2", (string?)result["same"]);
        Assert.Equal(["$LATEST", "1", "2"], result["versions"]!.AsArray().Select(v => (string)v!).ToList());
        Assert.Equal("1", (string?)result["got_version"]);
        Assert.Equal(Arn(name) + ":1", (string?)result["got_arn"]);
        Assert.Equal("2", (string?)result["conf_version"]);
        Assert.Equal("1", (string?)result["executed"]);
        Assert.Equal("b1", (string?)result["payload"]!["marker"]);
        Assert.Equal(Arn(name) + ":1", (string?)result["payload"]!["arn"]);

        var errors = result["errors"]!;
        AssertError(errors["sha"], "InvalidParameterValueException", 400);
        AssertError(errors["revision"], "PreconditionFailedException", 412);
        foreach (var key in new[] { "missing_function", "missing_version", "missing_configuration", "invoke_missing", "delete_missing", "list_missing" })
        {
            AssertError(errors[key], "ResourceNotFoundException", 404);
        }
        Assert.Equal(204, (int?)result["deleted"]);
        AssertError(result["after"], "ResourceNotFoundException", 404);
        Assert.Equal(["$LATEST", "2"], result["left"]!.AsArray().Select(v => (string)v!).ToList());
        Assert.Equal(["$LATEST", "1", "2"], result["versions_single"]!.AsArray().Select(v => (string)v!).ToList());
    }

    internal static void AssertError(JsonNode? error, string code, int status)
    {
        Assert.NotNull(error);
        Assert.True(code == (string?)error["Code"] && status == (int?)error["Status"], $"expected {code} ({status}), got {error.ToJsonString()}");
    }
}

public sealed class EmbeddedVersionTests(EmbeddedNodeFixture fixture)
    : VersionTests(fixture), IClassFixture<EmbeddedNodeFixture>;

public sealed class ClusterVersionTests(ClusterNodeFixture fixture)
    : VersionTests(fixture), IClassFixture<ClusterNodeFixture>;
