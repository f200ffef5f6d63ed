using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.Versions;

/// <summary>Aliases through the real AWS CLI and boto3: CRUD, Lambda's validation errors, invoke and get through an alias.</summary>
public abstract class AliasTests(NodeFixture fixture)
{
    private AwsCli Aws => fixture.Cli;

    private string Arn(string name) => VersionedFunction.Arn(fixture, name);

    private static List<string> Names(JsonNode listed) =>
        listed["Aliases"]!.AsArray().Select(a => (string)a!["Name"]!).Order(StringComparer.Ordinal).ToList();

    [Fact]
    public async Task Create_get_update_list_and_delete_an_alias()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "alias");

        var created = await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live",
            "--function-version", "1", "--description", "production");
        Assert.Equal(Arn(name) + ":live", (string?)created["AliasArn"]);
        Assert.Equal("live", (string?)created["Name"]);
        Assert.Equal("1", (string?)created["FunctionVersion"]);
        Assert.Equal("production", (string?)created["Description"]);
        var revision = (string?)created["RevisionId"];
        Assert.False(string.IsNullOrEmpty(revision));

        var got = await Aws.OkAsync("lambda", "get-alias", "--function-name", name, "--name", "live");
        Assert.Equal(Arn(name) + ":live", (string?)got["AliasArn"]);
        Assert.Equal("1", (string?)got["FunctionVersion"]);
        Assert.Equal("production", (string?)got["Description"]);
        Assert.Equal(revision, (string?)got["RevisionId"]);

        var updated = await Aws.OkAsync("lambda", "update-alias", "--function-name", name, "--name", "live",
            "--function-version", "2", "--description", "moved");
        Assert.Equal("2", (string?)updated["FunctionVersion"]);
        Assert.Equal("moved", (string?)updated["Description"]);
        Assert.NotEqual(revision, (string?)updated["RevisionId"]);

        await Aws.FailsAsync("PreconditionFailedException", "lambda", "update-alias", "--function-name", name, "--name", "live",
            "--description", "stale", "--revision-id", revision!);
        var checkedUpdate = await Aws.OkAsync("lambda", "update-alias", "--function-name", name, "--name", "live",
            "--description", "checked", "--revision-id", (string)updated["RevisionId"]!);
        Assert.Equal("2", (string?)checkedUpdate["FunctionVersion"]); // not given, so unchanged
        Assert.Equal("checked", (string?)checkedUpdate["Description"]);

        var beta = await Aws.OkAsync("lambda", "create-alias", "--function-name", Arn(name), "--name", "beta", "--function-version", "1");
        Assert.Equal(Arn(name) + ":beta", (string?)beta["AliasArn"]);

        var listed = await Aws.OkAsync("lambda", "list-aliases", "--function-name", name);
        Assert.Equal(["beta", "live"], Names(listed));
        var live = listed["Aliases"]!.AsArray().Single(a => (string?)a!["Name"] == "live")!;
        Assert.Equal(Arn(name) + ":live", (string?)live["AliasArn"]);
        Assert.Equal("2", (string?)live["FunctionVersion"]);
        Assert.Equal("checked", (string?)live["Description"]);
        Assert.Equal(["beta"], Names(await Aws.OkAsync("lambda", "list-aliases", "--function-name", name, "--function-version", "1")));
        Assert.Equal(["live"], Names(await Aws.OkAsync("lambda", "list-aliases", "--function-name", name, "--function-version", "2")));
        Assert.Equal(["beta", "live"], Names(await Aws.OkAsync("lambda", "list-aliases", "--function-name", name, "--page-size", "1")));

        await Aws.OkAsync("lambda", "delete-alias", "--function-name", name, "--name", "beta");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-alias", "--function-name", name, "--name", "beta");
        await Aws.OkAsync("lambda", "delete-alias", "--function-name", name, "--name", "beta"); // gone already: still success
        await Aws.OkAsync("lambda", "delete-alias", "--function-name", name, "--name", "never-existed");
        Assert.Equal(["live"], Names(await Aws.OkAsync("lambda", "list-aliases", "--function-name", name)));
    }

    [Fact]
    public async Task Alias_errors_are_lambdas()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "aliaserr");
        Assert.Equal("3", await VersionedFunction.PublishAsync(Aws, name, "v3"));
        var live = await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");

        string[] Create(string alias, string version, params string[] extra) =>
            ["lambda", "create-alias", "--function-name", name, "--name", alias, "--function-version", version, .. extra];

        var duplicate = await Aws.FailsAsync("ResourceConflictException", Create("live", "2"));
        Assert.Contains(Arn(name) + ":live", duplicate.ErrorMessage);
        await Aws.FailsAsync("ResourceNotFoundException", Create("nine", "9"));
        await Aws.FailsAsync("ResourceNotFoundException", ["lambda", "create-alias", "--function-name", name + "-missing",
            "--name", "live", "--function-version", "1"]);
        await Aws.FailsAsync("ValidationException", Create("123", "1"));
        var weight = await Aws.FailsAsync("ValidationException", Create("heavy", "1", "--routing-config", "AdditionalVersionWeights={2=1.5}"));
        Assert.Contains("additionalVersionWeights", weight.ErrorMessage, StringComparison.OrdinalIgnoreCase);
        await Aws.FailsAsync("InvalidParameterValueException", Create("self", "1", "--routing-config", "AdditionalVersionWeights={1=0.5}"));
        await Aws.FailsAsync("InvalidParameterValueException", Create("latest", "$LATEST", "--routing-config", "AdditionalVersionWeights={2=0.5}"));
        await Aws.FailsAsync("InvalidParameterValueException", Create("tolatest", "1",
            "--routing-config", """{"AdditionalVersionWeights":{"$LATEST":0.5}}"""));
        await Aws.FailsAsync("ValidationException", Create("two", "1", "--routing-config", "AdditionalVersionWeights={2=0.1,3=0.1}"));

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-alias", "--function-name", name, "--name", "nope");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "update-alias", "--function-name", name, "--name", "nope",
            "--function-version", "2");
        await Aws.FailsAsync("PreconditionFailedException", "lambda", "update-alias", "--function-name", name, "--name", "live",
            "--function-version", "2", "--revision-id", "00000000-0000-0000-0000-000000000000");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "update-alias", "--function-name", name, "--name", "live",
            "--function-version", "9");
        await Aws.FailsAsync("ValidationException", "lambda", "update-alias", "--function-name", name, "--name", "live",
            "--routing-config", "AdditionalVersionWeights={2=2}");
        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "update-alias", "--function-name", name, "--name", "live",
            "--routing-config", "AdditionalVersionWeights={1=0.5}");

        // The CLI refuses a negative weight itself; boto3 without validation reaches the server.
        var unvalidated = await fixture.Boto.RunAsync($$$"""
            name = {{{Boto3.Literal(name)}}}
            out({"negative": error(unvalidated.create_alias, FunctionName=name, Name="neg", FunctionVersion="1",
                                   RoutingConfig={"AdditionalVersionWeights": {"2": -0.1}}),
                 "above": error(unvalidated.update_alias, FunctionName=name, Name="live",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 1.01}}),
                 "digits": error(unvalidated.create_alias, FunctionName=name, Name="42", FunctionVersion="1")})
            """);
        VersionTests.AssertError(unvalidated!["negative"], "ValidationException", 400);
        VersionTests.AssertError(unvalidated["above"], "ValidationException", 400);
        VersionTests.AssertError(unvalidated["digits"], "ValidationException", 400);

        // Nothing of the refused calls stuck.
        Assert.Equal(["live"], Names(await Aws.OkAsync("lambda", "list-aliases", "--function-name", name)));
        var after = await Aws.OkAsync("lambda", "get-alias", "--function-name", name, "--name", "live");
        Assert.Equal("1", (string?)after["FunctionVersion"]);
        Assert.Equal((string?)live["RevisionId"], (string?)after["RevisionId"]);
        Assert.Empty(after["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject() ?? []);
    }

    [Fact]
    public async Task Invoke_and_get_through_an_alias_follow_its_version()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "aliasinv");
        await Aws.OkAsync("lambda", "create-alias", "--function-name", name, "--name", "live", "--function-version", "1");

        var invoked = await Aws.InvokeAsync(name, "{}", "--qualifier", "live");
        Assert.Equal(200, invoked.StatusCode);
        Assert.Equal("1", invoked.ExecutedVersion);
        Assert.Equal("v1", (string?)invoked.Json!["marker"]);
        Assert.Equal("1", (string?)invoked.Json["version"]);
        Assert.Equal(Arn(name) + ":live", (string?)invoked.Json["arn"]);
        var byName = await Aws.InvokeAsync(name + ":live", "{}");
        Assert.Equal("1", byName.ExecutedVersion);
        Assert.Equal(Arn(name) + ":live", (string?)byName.Json!["arn"]);
        var byArn = await Aws.InvokeAsync(Arn(name) + ":live", "{}");
        Assert.Equal("v1", (string?)byArn.Json!["marker"]);

        var function = await Aws.OkAsync("lambda", "get-function", "--function-name", name, "--qualifier", "live");
        Assert.Equal("1", (string?)function["Configuration"]!["Version"]);
        Assert.Equal(Arn(name) + ":live", (string?)function["Configuration"]!["FunctionArn"]);
        Assert.Equal(Zips.Sha256(VersionedFunction.Code("v1")), (string?)function["Configuration"]!["CodeSha256"]);
        using (var http = new HttpClient())
        {
            Assert.Equal(VersionedFunction.Code("v1"), await http.GetByteArrayAsync((string)function["Code"]!["Location"]!));
        }
        var configuration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", Arn(name) + ":live");
        Assert.Equal("1", (string?)configuration["Version"]);
        Assert.Equal(Arn(name) + ":live", (string?)configuration["FunctionArn"]);

        // The very next invoke on the same node after update-alias returns runs the new version.
        await Aws.OkAsync("lambda", "update-alias", "--function-name", name, "--name", "live", "--function-version", "2");
        var moved = await Aws.InvokeAsync(name, "{}", "--qualifier", "live");
        Assert.Equal("2", moved.ExecutedVersion);
        Assert.Equal("v2", (string?)moved.Json!["marker"]);
        Assert.Equal(Arn(name) + ":live", (string?)moved.Json["arn"]);
        var movedConfiguration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name, "--qualifier", "live");
        Assert.Equal("2", (string?)movedConfiguration["Version"]);
        Assert.Equal(Zips.Sha256(VersionedFunction.Code("v2")), (string?)movedConfiguration["CodeSha256"]);

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", name, "--qualifier", "nope", "/dev/null");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name, "--qualifier", "nope");
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function-configuration", "--function-name", name + ":nope");
    }

    [Fact]
    public async Task Boto3_drives_aliases_and_their_errors()
    {
        var name = await VersionedFunction.CreateWithTwoVersionsAsync(fixture, "boto-alias");
        var result = await fixture.Boto.RunAsync($$$"""
            name = {{{Boto3.Literal(name)}}}
            created = client.create_alias(FunctionName=name, Name="live", FunctionVersion="1", Description="d",
                                          RoutingConfig={"AdditionalVersionWeights": {"2": 0.3}})
            got = client.get_alias(FunctionName=name, Name="live")
            client.create_alias(FunctionName=name, Name="other", FunctionVersion="2")
            listed = sorted(a["Name"] for a in client.list_aliases(FunctionName=name)["Aliases"])
            filtered = [a["Name"] for a in client.list_aliases(FunctionName=name, FunctionVersion="1")["Aliases"]]
            paged = sorted(a["Name"] for p in client.get_paginator("list_aliases").paginate(
                FunctionName=name, PaginationConfig={"PageSize": 1}) for a in p["Aliases"])
            updated = client.update_alias(FunctionName=name, Name="live", FunctionVersion="2",
                                          RoutingConfig={"AdditionalVersionWeights": {}}, RevisionId=got["RevisionId"])
            inv = client.invoke(FunctionName=name, Qualifier="live", Payload=b"{}")
            payload = json.loads(inv["Payload"].read())
            conf = client.get_function_configuration(FunctionName=name, Qualifier="live")
            errors = {
                "duplicate": error(client.create_alias, FunctionName=name, Name="live", FunctionVersion="1"),
                "missing_version": error(client.create_alias, FunctionName=name, Name="x", FunctionVersion="9"),
                "missing_function": error(client.create_alias, FunctionName=name + "-nope", Name="x", FunctionVersion="1"),
                "digits": error(client.create_alias, FunctionName=name, Name="7", FunctionVersion="1"),
                "weight": error(unvalidated.create_alias, FunctionName=name, Name="x", FunctionVersion="1",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 1.5}}),
                "same": error(client.create_alias, FunctionName=name, Name="x", FunctionVersion="1",
                              RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}}),
                "latest": error(client.create_alias, FunctionName=name, Name="x", FunctionVersion="$LATEST",
                                RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}}),
                "to_latest": error(client.create_alias, FunctionName=name, Name="x", FunctionVersion="1",
                                   RoutingConfig={"AdditionalVersionWeights": {"$LATEST": 0.5}}),
                "get_missing": error(client.get_alias, FunctionName=name, Name="nope"),
                "update_missing": error(client.update_alias, FunctionName=name, Name="nope", FunctionVersion="1"),
                "stale": error(client.update_alias, FunctionName=name, Name="live", FunctionVersion="1", RevisionId=got["RevisionId"]),
                "in_use": error(client.delete_function, FunctionName=name, Qualifier="2"),
                "invoke_missing": error(client.invoke, FunctionName=name, Qualifier="nope"),
            }
            deleted = client.delete_alias(FunctionName=name, Name="other")
            deleted_again = client.delete_alias(FunctionName=name, Name="other")
            after = error(client.get_alias, FunctionName=name, Name="other")
            out({"created": created, "got": got, "listed": listed, "filtered": filtered, "paged": paged, "updated": updated,
                 "executed": inv["ExecutedVersion"], "payload": payload, "conf": conf, "errors": errors,
                 "deleted": deleted["ResponseMetadata"]["HTTPStatusCode"],
                 "deleted_again": deleted_again["ResponseMetadata"]["HTTPStatusCode"], "after": after})
            """);
        var created = result!["created"]!;
        Assert.Equal(201, (int?)created["ResponseMetadata"]!["HTTPStatusCode"]);
        Assert.Equal(Arn(name) + ":live", (string?)created["AliasArn"]);
        Assert.Equal("1", (string?)created["FunctionVersion"]);
        Assert.Equal("d", (string?)created["Description"]);
        Assert.Equal(0.3, (double?)created["RoutingConfig"]!["AdditionalVersionWeights"]!["2"]);
        Assert.Equal(0.3, (double?)result["got"]!["RoutingConfig"]!["AdditionalVersionWeights"]!["2"]);
        Assert.Equal(["live", "other"], result["listed"]!.AsArray().Select(n => (string)n!).ToList());
        Assert.Equal(["live"], result["filtered"]!.AsArray().Select(n => (string)n!).ToList());
        Assert.Equal(["live", "other"], result["paged"]!.AsArray().Select(n => (string)n!).ToList());
        var updated = result["updated"]!;
        Assert.Equal("2", (string?)updated["FunctionVersion"]);
        Assert.Empty(updated["RoutingConfig"]?["AdditionalVersionWeights"]?.AsObject() ?? []);
        Assert.NotEqual((string?)result["got"]!["RevisionId"], (string?)updated["RevisionId"]);
        Assert.Equal("2", (string?)result["executed"]);
        Assert.Equal("v2", (string?)result["payload"]!["marker"]);
        Assert.Equal(Arn(name) + ":live", (string?)result["payload"]!["arn"]);
        Assert.Equal("2", (string?)result["conf"]!["Version"]);
        Assert.Equal(Arn(name) + ":live", (string?)result["conf"]!["FunctionArn"]);

        var errors = result["errors"]!;
        VersionTests.AssertError(errors["duplicate"], "ResourceConflictException", 409);
        VersionTests.AssertError(errors["missing_version"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["missing_function"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["digits"], "ValidationException", 400);
        VersionTests.AssertError(errors["weight"], "ValidationException", 400);
        VersionTests.AssertError(errors["same"], "InvalidParameterValueException", 400);
        VersionTests.AssertError(errors["latest"], "InvalidParameterValueException", 400);
        VersionTests.AssertError(errors["to_latest"], "InvalidParameterValueException", 400);
        VersionTests.AssertError(errors["get_missing"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["update_missing"], "ResourceNotFoundException", 404);
        VersionTests.AssertError(errors["stale"], "PreconditionFailedException", 412);
        VersionTests.AssertError(errors["in_use"], "ResourceConflictException", 409);
        VersionTests.AssertError(errors["invoke_missing"], "ResourceNotFoundException", 404);
        Assert.Equal(204, (int?)result["deleted"]);
        Assert.Equal(204, (int?)result["deleted_again"]);
        VersionTests.AssertError(result["after"], "ResourceNotFoundException", 404);
    }
}

public sealed class EmbeddedAliasTests(EmbeddedNodeFixture fixture)
    : AliasTests(fixture), IClassFixture<EmbeddedNodeFixture>;

public sealed class ClusterAliasTests(ClusterNodeFixture fixture)
    : AliasTests(fixture), IClassFixture<ClusterNodeFixture>;
