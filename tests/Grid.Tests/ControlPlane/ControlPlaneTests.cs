using System.Text.Json.Nodes;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.ControlPlane;

/// <summary>
/// The Lambda control plane driven by the real AWS CLI and boto3. Runs once per storage mode (see the subclasses
/// at the bottom), so embedded and cluster mode pass the same suite.
/// </summary>
public abstract class ControlPlaneTests(NodeFixture fixture)
{
    protected NodeFixture Fixture => fixture;
    protected AwsCli Aws => fixture.Cli;

    private static readonly byte[] PythonZip = Zips.Create(("app.py", "def handler(event, context):\n    return event\n"));

    protected string Arn(string name) => $"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}";

    protected async Task<JsonNode> CreateAsync(string name, byte[]? zip = null, params string[] extra) =>
        await Aws.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test",
            "--zip-file", Zips.ToFileArgument(zip ?? PythonZip), .. extra]);

    [Fact]
    public async Task Create_returns_lambda_shaped_configuration_with_defaults()
    {
        var name = NodeFixture.UniqueName();
        var zip = Zips.Create(("app.py", "def handler(e, c):\n    return 1\n"), ("lib/util.py", "X = 1\n"));
        var created = await CreateAsync(name, zip, "--description", "first");

        Assert.Equal(name, (string?)created["FunctionName"]);
        Assert.Equal(Arn(name), (string?)created["FunctionArn"]);
        Assert.Equal("python3.11", (string?)created["Runtime"]);
        Assert.Equal("app.handler", (string?)created["Handler"]);
        Assert.Equal("first", (string?)created["Description"]);
        Assert.Equal(Zips.Sha256(zip), (string?)created["CodeSha256"]);
        Assert.Equal(zip.Length, (long?)created["CodeSize"]);
        Assert.Equal(128, (int?)created["MemorySize"]);
        Assert.Equal(3, (int?)created["Timeout"]);
        Assert.Equal("$LATEST", (string?)created["Version"]);
        Assert.Equal("Zip", (string?)created["PackageType"]);
        Assert.Equal("x86_64", (string?)created["Architectures"]![0]);
        Assert.Equal(512, (int?)created["EphemeralStorage"]!["Size"]);
        Assert.Equal("Active", (string?)created["State"]);
        Assert.Equal("Successful", (string?)created["LastUpdateStatus"]);
        Assert.False(string.IsNullOrEmpty((string?)created["RevisionId"]));
        Assert.Matches(@"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+0000$", (string?)created["LastModified"]);
    }

    [Fact]
    public async Task Get_function_returns_configuration_tags_and_a_downloadable_code_location()
    {
        var name = NodeFixture.UniqueName();
        var zip = Zips.Create(("app.py", "def handler(e, c):\n    return 'downloadable'\n"));
        await CreateAsync(name, zip, "--tags", "team=core,env=test");

        var function = await Aws.OkAsync("lambda", "get-function", "--function-name", name);
        Assert.Equal(name, (string?)function["Configuration"]!["FunctionName"]);
        Assert.Equal("core", (string?)function["Tags"]!["team"]);
        Assert.Equal("S3", (string?)function["Code"]!["RepositoryType"]);
        var location = (string)function["Code"]!["Location"]!;
        using var http = new HttpClient();
        var downloaded = await http.GetByteArrayAsync(location);
        Assert.Equal(zip, downloaded);

        // The URL is signed: tampering with it is refused.
        var tampered = await http.GetAsync(location.Replace("Signature=", "Signature=0", StringComparison.Ordinal));
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, tampered.StatusCode);

        var configuration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", Arn(name));
        Assert.Equal(Zips.Sha256(zip), (string?)configuration["CodeSha256"]);
    }

    [Fact]
    public async Task Every_accepted_name_form_finds_the_function()
    {
        var name = NodeFixture.UniqueName();
        await CreateAsync(name);
        foreach (var form in new[] { name, Arn(name), $"{fixture.Main.AccountId}:function:{name}", Arn(name) + ":$LATEST" })
        {
            var configuration = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", form);
            Assert.Equal(name, (string?)configuration["FunctionName"]);
        }
        var missing = await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name + "-nope");
        Assert.Contains($"Function not found: {Arn(name + "-nope")}", missing.ErrorMessage);
    }

    [Fact]
    public async Task Update_code_changes_sha_and_revision_and_checks_revision_id()
    {
        var name = NodeFixture.UniqueName();
        var created = await CreateAsync(name);
        var zip = Zips.Create(("app.py", "def handler(e, c):\n    return 2\n"));

        await Aws.FailsAsync("PreconditionFailedException", "lambda", "update-function-code", "--function-name", name,
            "--zip-file", Zips.ToFileArgument(zip), "--revision-id", "00000000-0000-0000-0000-000000000000");
        var updated = await Aws.OkAsync("lambda", "update-function-code", "--function-name", name,
            "--zip-file", Zips.ToFileArgument(zip), "--revision-id", (string)created["RevisionId"]!);

        Assert.Equal(Zips.Sha256(zip), (string?)updated["CodeSha256"]);
        Assert.NotEqual((string?)created["RevisionId"], (string?)updated["RevisionId"]);
        var fetched = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(Zips.Sha256(zip), (string?)fetched["CodeSha256"]);
    }

    [Fact]
    public async Task Update_configuration_changes_settings_and_validates_them()
    {
        var name = NodeFixture.UniqueName();
        await CreateAsync(name);
        var updated = await Aws.OkAsync("lambda", "update-function-configuration", "--function-name", name,
            "--memory-size", "512", "--timeout", "30", "--environment", "Variables={STAGE=dev,COLOR=blue}",
            "--description", "changed", "--handler", "app.other", "--ephemeral-storage", "Size=1024");
        Assert.Equal(512, (int?)updated["MemorySize"]);
        Assert.Equal(30, (int?)updated["Timeout"]);
        Assert.Equal("dev", (string?)updated["Environment"]!["Variables"]!["STAGE"]);
        Assert.Equal("app.other", (string?)updated["Handler"]);
        Assert.Equal(1024, (int?)updated["EphemeralStorage"]!["Size"]);

        // The CLI refuses out-of-range numbers itself; boto3 without client-side validation reaches the server.
        var ranges = await fixture.Boto.RunAsync($$"""
            out([error(unvalidated.update_function_configuration, FunctionName="{{name}}", MemorySize=100),
                 error(unvalidated.update_function_configuration, FunctionName="{{name}}", Timeout=901)])
            """);
        Assert.All(ranges!.AsArray(), e => Assert.Equal("ValidationException", (string?)e!["Code"]));
        Assert.Contains("Value '100' at 'memorySize' failed to satisfy constraint", (string?)ranges[0]!["Message"]);
        Assert.Contains("at 'timeout' failed to satisfy constraint", (string?)ranges[1]!["Message"]);
        var reserved = await Aws.FailsAsync("InvalidParameterValueException", "lambda", "update-function-configuration",
            "--function-name", name, "--environment", "Variables={AWS_REGION=eu-west-1}");
        Assert.Contains("AWS_REGION", reserved.ErrorMessage);
        var big = await Aws.FailsAsync("InvalidParameterValueException", "lambda", "update-function-configuration",
            "--function-name", name, "--environment", "Variables={BIG=" + new string('x', 5000) + "}");
        Assert.Contains("4KB", big.ErrorMessage);

        // Nothing of the refused updates stuck.
        var fetched = await Aws.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(512, (int?)fetched["MemorySize"]);
        Assert.Equal("blue", (string?)fetched["Environment"]!["Variables"]!["COLOR"]);
    }

    [Fact]
    public async Task Create_validates_every_field_with_lambdas_errors()
    {
        var name = NodeFixture.UniqueName();
        var role = $"arn:aws:iam::{fixture.Main.AccountId}:role/test";
        var zip = Zips.ToFileArgument(PythonZip);
        string[] Base(string n) => ["lambda", "create-function", "--function-name", n, "--handler", "app.handler", "--zip-file", zip];

        var runtime = await Aws.FailsAsync("InvalidParameterValueException", [.. Base(name), "--runtime", "cobol", "--role", role]);
        Assert.Contains("Value cobol at 'runtime' failed to satisfy constraint", runtime.ErrorMessage);
        var badRole = await Aws.FailsAsync("ValidationException", [.. Base(name), "--runtime", "python3.11", "--role", "r1"]);
        Assert.Contains("at 'role' failed to satisfy constraint", badRole.ErrorMessage);
        await Aws.FailsAsync("ValidationException", [.. Base("bad name!"), "--runtime", "python3.11", "--role", role]);
        await Aws.FailsAsync("ValidationException", [.. Base(new string('a', 65)), "--runtime", "python3.11", "--role", role]);
        var handler = await Aws.FailsAsync("ValidationException", ["lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--role", role, "--handler", "bad handler!", "--zip-file", zip]);
        Assert.Contains("at 'handler' failed to satisfy constraint", handler.ErrorMessage);
        await Aws.FailsAsync("ValidationException", [.. Base(name), "--runtime", "python3.11", "--role", role, "--memory-size", "10241"]);
        var ranges = await fixture.Boto.RunAsync($$$"""
            base = dict(FunctionName="{{{name}}}", Runtime="python3.11", Role="{{{role}}}", Handler="app.handler", Code={"ZipFile": b"x"})
            out([error(unvalidated.create_function, **base, Timeout=0),
                 error(unvalidated.create_function, **base, MemorySize=64),
                 error(unvalidated.create_function, **base, EphemeralStorage={"Size": 100})])
            """);
        Assert.All(ranges!.AsArray(), e => Assert.Equal("ValidationException", (string?)e!["Code"]));
        await Aws.FailsAsync("InvalidParameterValueException", ["lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--role", role, "--handler", "app.handler", "--zip-file", Zips.ToFileArgument(CorruptZip())]);

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_functions WHERE name = '{name}'"));
    }

    /// <summary>A zip whose directory is intact (the CLI accepts it) but whose compressed data is garbage.</summary>
    private static byte[] CorruptZip()
    {
        var zip = Zips.Create(("app.py", string.Concat(Enumerable.Range(0, 200).Select(i => $"value_{i} = {i * 7919}\n"))));
        for (var i = 40; i < 80; i++) zip[i] ^= 0x5A;
        return zip;
    }

    [Fact]
    public async Task Duplicate_names_conflict()
    {
        var name = NodeFixture.UniqueName();
        await CreateAsync(name);
        var conflict = await Aws.FailsAsync("ResourceConflictException", "lambda", "create-function", "--function-name", name,
            "--runtime", "python3.11", "--handler", "app.handler", "--role", $"arn:aws:iam::{fixture.Main.AccountId}:role/test",
            "--zip-file", Zips.ToFileArgument(PythonZip));
        Assert.Contains($"Function already exist: {name}", conflict.ErrorMessage);
    }

    [Fact]
    public async Task List_functions_paginates_with_markers()
    {
        var prefix = NodeFixture.UniqueName("page");
        var names = Enumerable.Range(0, 5).Select(i => $"{prefix}-{i}").ToList();
        foreach (var n in names) await CreateAsync(n);

        // The CLI follows NextMarker itself; --page-size sets MaxItems on each request.
        var all = await Aws.OkAsync("lambda", "list-functions", "--page-size", "2");
        var listed = all["Functions"]!.AsArray().Select(f => (string)f!["FunctionName"]!).ToList();
        Assert.Equal(listed.Count, listed.Distinct().Count());
        Assert.Superset(names.ToHashSet(), listed.ToHashSet());

        var pages = await fixture.Boto.RunAsync("""
            pages, marker, seen = 0, None, []
            while True:
                kwargs = {"MaxItems": 2}
                if marker: kwargs["Marker"] = marker
                page = client.list_functions(**kwargs)
                pages += 1
                assert len(page["Functions"]) <= 2
                seen += [f["FunctionName"] for f in page["Functions"]]
                marker = page.get("NextMarker")
                if not marker: break
            out({"pages": pages, "seen": seen})
            """);
        var seen = pages!["seen"]!.AsArray().Select(n => (string)n!).ToList();
        Assert.Equal(seen.Count, seen.Distinct().Count());
        Assert.Superset(names.ToHashSet(), seen.ToHashSet());
        Assert.True((int)pages["pages"]! >= 3);

        await Aws.FailsAsync("InvalidParameterValueException", "lambda", "list-functions", "--starting-token", "garbage");
    }

    [Fact]
    public async Task Delete_removes_function_row_and_package()
    {
        var name = NodeFixture.UniqueName();
        var zip = Zips.Create(("app.py", $"# {name}\ndef handler(e, c):\n    return 3\n"));
        await CreateAsync(name, zip);
        var packages = await fixture.StoredPackagesAsync();

        await Aws.OkAsync("lambda", "delete-function", "--function-name", name);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);
        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "delete-function", "--function-name", name);
        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_functions WHERE name = '{name}'"));
        Assert.Equal(packages - 1, await fixture.StoredPackagesAsync());
    }

    [Fact]
    public async Task Tags_can_be_added_listed_and_removed()
    {
        var name = NodeFixture.UniqueName();
        await CreateAsync(name);
        await Aws.OkAsync("lambda", "tag-resource", "--resource", Arn(name), "--tags", "team=core,cost=42");
        var tags = await Aws.OkAsync("lambda", "list-tags", "--resource", Arn(name));
        Assert.Equal("core", (string?)tags["Tags"]!["team"]);
        Assert.Equal("42", (string?)tags["Tags"]!["cost"]);

        await Aws.OkAsync("lambda", "untag-resource", "--resource", Arn(name), "--tag-keys", "team");
        tags = await Aws.OkAsync("lambda", "list-tags", "--resource", Arn(name));
        Assert.Null(tags["Tags"]!["team"]);
        Assert.Equal("42", (string?)tags["Tags"]!["cost"]);

        await Aws.FailsAsync("ResourceNotFoundException", "lambda", "list-tags", "--resource", Arn(name + "-nope"));
    }

    [Fact]
    public async Task Account_settings_report_limits_and_usage()
    {
        await CreateAsync(NodeFixture.UniqueName());
        var settings = await Aws.OkAsync("lambda", "get-account-settings");
        Assert.Equal(52428800, (long?)settings["AccountLimit"]!["CodeSizeZipped"]);
        Assert.Equal(262144000, (long?)settings["AccountLimit"]!["CodeSizeUnzipped"]);
        Assert.Equal(1000, (int?)settings["AccountLimit"]!["ConcurrentExecutions"]);
        Assert.True((long?)settings["AccountUsage"]!["FunctionCount"] >= 1);
        Assert.True((long?)settings["AccountUsage"]!["TotalCodeSize"] > 0);
    }

    [Fact]
    public async Task Boto3_drives_the_same_operations()
    {
        var name = NodeFixture.UniqueName("boto");
        var result = await fixture.Boto.RunAsync($$$"""
            import io, zipfile
            buf = io.BytesIO()
            with zipfile.ZipFile(buf, "w") as z:
                z.writestr("app.py", "def handler(e, c):\n    return e\n")
            name = {{{Boto3.Literal(name)}}}
            role = "arn:aws:iam::{{{fixture.Main.AccountId}}}:role/test"
            created = client.create_function(FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=role,
                Code={"ZipFile": buf.getvalue()}, Environment={"Variables": {"A": "1"}}, Tags={"t": "v"})
            got = client.get_function(FunctionName=name)
            conf = client.update_function_configuration(FunctionName=name, MemorySize=256)
            code = client.update_function_code(FunctionName=name, ZipFile=buf.getvalue())
            client.tag_resource(Resource=created["FunctionArn"], Tags={"u": "w"})
            tags = client.list_tags(Resource=created["FunctionArn"])["Tags"]
            client.untag_resource(Resource=created["FunctionArn"], TagKeys=["t"])
            tags_after = client.list_tags(Resource=created["FunctionArn"])["Tags"]
            listed = [f["FunctionName"] for p in client.get_paginator("list_functions").paginate(PaginationConfig={"PageSize": 3}) for f in p["Functions"]]
            settings = client.get_account_settings()
            duplicate = error(client.create_function, FunctionName=name, Runtime="python3.12", Handler="app.handler", Role=role, Code={"ZipFile": buf.getvalue()})
            client.delete_function(FunctionName=name)
            missing = error(client.get_function, FunctionName=name)
            out({"created": created["CodeSize"], "status": created["ResponseMetadata"]["HTTPStatusCode"],
                 "env": got["Configuration"]["Environment"]["Variables"], "memory": conf["MemorySize"], "sha": code["CodeSha256"],
                 "tags": tags, "tags_after": tags_after, "listed": name in listed, "limit": settings["AccountLimit"]["CodeSizeZipped"],
                 "duplicate": duplicate, "missing": missing})
            """);
        Assert.Equal(201, (int?)result!["status"]);
        Assert.Equal("1", (string?)result["env"]!["A"]);
        Assert.Equal(256, (int?)result["memory"]);
        Assert.Equal("v", (string?)result["tags"]!["t"]);
        Assert.Null(result["tags_after"]!["t"]);
        Assert.True((bool)result["listed"]!);
        Assert.Equal("ResourceConflictException", (string?)result["duplicate"]!["Code"]);
        Assert.Equal(409, (int?)result["duplicate"]!["Status"]);
        Assert.Equal("ResourceNotFoundException", (string?)result["missing"]!["Code"]);
        Assert.Equal(404, (int?)result["missing"]!["Status"]);
    }
}

public sealed class EmbeddedControlPlaneTests(EmbeddedNodeFixture fixture)
    : ControlPlaneTests(fixture), IClassFixture<EmbeddedNodeFixture>;

public sealed class ClusterControlPlaneTests(ClusterNodeFixture fixture)
    : ControlPlaneTests(fixture), IClassFixture<ClusterNodeFixture>;
