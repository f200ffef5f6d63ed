using System.Text;
using Grid.Tests.Infrastructure;
using Xunit;

namespace Grid.Tests.ControlPlane;

/// <summary>
/// Hostile and broken requests: each gets Lambda's error, and the node keeps no row, package or file from it.
/// Runs in both storage modes.
/// </summary>
public abstract class BadInputTests(NodeFixture fixture)
{
    private static readonly Lazy<byte[]> GigabyteBomb = new(() => Zips.Bomb(1L << 30));

    private string Role => $"arn:aws:iam::{fixture.Main.AccountId}:role/test";

    /// <summary>Runs an action and checks that the node's rows, packages and files are exactly as before.</summary>
    private async Task LeavesNothingBehindAsync(string name, Func<Task> action)
    {
        var functions = await fixture.CountAsync("SELECT count(*) FROM grid_functions");
        var packages = await fixture.StoredPackagesAsync();
        var files = fixture.CodeFiles().ToHashSet();

        await action();

        Assert.Equal(0, await fixture.CountAsync($"SELECT count(*) FROM grid_functions WHERE name = '{name}'"));
        Assert.Equal(functions, await fixture.CountAsync("SELECT count(*) FROM grid_functions"));
        Assert.Equal(packages, await fixture.StoredPackagesAsync());
        Assert.DoesNotContain(fixture.CodeFiles(), f => !files.Contains(f));
        await fixture.Cli.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);
    }

    private Task<CliResult> CreateFailsAsync(string error, string name, byte[] zip) =>
        fixture.Cli.FailsAsync(error, "lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", Role, "--zip-file", Zips.ToFileArgument(zip));

    [Fact]
    public async Task Zip_with_parent_directory_entries_is_refused()
    {
        var name = NodeFixture.UniqueName("traversal");
        var zip = Zips.Create(("app.py", "def handler(e, c):\n    return 1\n"), ("../../escape.py", "pwned = True\n"));
        await LeavesNothingBehindAsync(name, async () =>
        {
            var result = await CreateFailsAsync("InvalidParameterValueException", name, zip);
            Assert.Contains("Could not unzip uploaded file", result.ErrorMessage);
        });
        Assert.False(File.Exists(Path.Combine(fixture.Node.DataDirectory, "escape.py")));
    }

    [Fact]
    public async Task Zip_with_absolute_paths_is_refused()
    {
        var name = NodeFixture.UniqueName("absolute");
        var zip = Zips.Create(("app.py", "x = 1\n"), ("/tmp/grid-absolute-" + name, "pwned\n"));
        await LeavesNothingBehindAsync(name, () => CreateFailsAsync("InvalidParameterValueException", name, zip));
        Assert.False(File.Exists("/tmp/grid-absolute-" + name));
    }

    [Fact]
    public async Task Zip_bomb_expanding_to_a_gigabyte_is_refused_while_inflating()
    {
        var name = NodeFixture.UniqueName("bomb");
        var zip = GigabyteBomb.Value;
        Assert.True(zip.Length < 5 * 1024 * 1024, "the bomb itself is small");
        await LeavesNothingBehindAsync(name, async () =>
        {
            var result = await CreateFailsAsync("InvalidParameterValueException", name, zip);
            Assert.Contains("Unzipped size must be smaller than 262144000 bytes", result.ErrorMessage);
        });
    }

    [Fact]
    public async Task Zip_over_50_MB_is_refused()
    {
        var name = NodeFixture.UniqueName("huge");
        // Just over 50 MiB: still under the 70167211-byte request limit once base64-encoded in the JSON body.
        var noise = new byte[52_428_800 + 60_000];
        new Random(7).NextBytes(noise); // incompressible, so the zip itself is over the limit
        var zip = Zips.Create(System.IO.Compression.CompressionLevel.NoCompression, ("app.py", "x = 1\n"u8.ToArray()), ("noise.bin", noise));
        Assert.InRange(zip.Length, 52_428_801, 52_600_000);
        await LeavesNothingBehindAsync(name, async () =>
        {
            var result = await CreateFailsAsync("RequestEntityTooLargeException", name, zip);
            Assert.Contains("Zipped size must be smaller than 52428800 bytes", result.ErrorMessage);
        });
    }

    [Fact]
    public async Task Update_with_a_hostile_zip_keeps_the_old_code()
    {
        var name = NodeFixture.UniqueName("keep");
        var good = Zips.Create(("app.py", "def handler(e, c):\n    return 1\n"));
        await fixture.Cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", Role, "--zip-file", Zips.ToFileArgument(good));
        var packages = await fixture.StoredPackagesAsync();

        await fixture.Cli.FailsAsync("InvalidParameterValueException", "lambda", "update-function-code", "--function-name", name,
            "--zip-file", Zips.ToFileArgument(Zips.Create(("../evil.py", "x"))));
        var configuration = await fixture.Cli.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(Zips.Sha256(good), (string?)configuration["CodeSha256"]);
        Assert.Equal(packages, await fixture.StoredPackagesAsync());
    }

    [Fact]
    public async Task Oversized_bodies_get_413()
    {
        var name = NodeFixture.UniqueName("big");
        await LeavesNothingBehindAsync(name, async () =>
        {
            var result = await fixture.Boto.RunAsync($$"""
                big = b'{"a":"' + b"x" * (7 * 1024 * 1024) + b'"}'
                invoke = signed("POST", "/2015-03-31/functions/{{name}}/invocations", big)
                create = signed("POST", "/2015-03-31/functions", b"{" + b" " * (71 * 1024 * 1024) + b"}")
                out({"invoke": invoke, "create": create})
                """);
            Assert.Equal(413, (int?)result!["invoke"]!["Status"]);
            Assert.Contains("RequestEntityTooLargeException", (string?)result["invoke"]!["Headers"]!["x-amzn-ErrorType"]);
            Assert.Contains("6291456 bytes", (string?)result["invoke"]!["Body"]);
            Assert.Equal(413, (int?)result["create"]!["Status"]);
        });
    }

    [Fact]
    public async Task Invalid_json_gets_InvalidRequestContentException()
    {
        var name = NodeFixture.UniqueName("json");
        await LeavesNothingBehindAsync(name, async () =>
        {
            var result = await fixture.Boto.RunAsync($$"""
                r = signed("POST", "/2015-03-31/functions", b'{"FunctionName": "{{name}}", "Runtime": ')
                out(r)
                """);
            Assert.Equal(400, (int?)result!["Status"]);
            Assert.Equal("InvalidRequestContentException", (string?)result["Headers"]!["x-amzn-ErrorType"]);
            Assert.Contains("Could not parse request body into json", (string?)result["Body"]);
        });
    }

    [Fact]
    public async Task Wrong_signature_and_unknown_key_are_refused()
    {
        var name = NodeFixture.UniqueName("sig");
        var zip = Zips.Create(("app.py", "x = 1\n"));
        await LeavesNothingBehindAsync(name, async () =>
        {
            var wrongSecret = fixture.Cli.With(fixture.Main with { SecretAccessKey = "wrong" + fixture.Main.SecretAccessKey[5..] });
            var bad = await wrongSecret.FailsAsync("InvalidSignatureException", "lambda", "create-function", "--function-name", name,
                "--runtime", "python3.11", "--handler", "app.handler", "--role", Role, "--zip-file", Zips.ToFileArgument(zip));
            Assert.Contains("The request signature we calculated does not match", bad.ErrorMessage);

            var unknown = fixture.Cli.With(new Credentials("AKIAUNKNOWNKEY000000", "secret", fixture.Main.AccountId));
            var refused = await unknown.FailsAsync("UnrecognizedClientException", "lambda", "list-functions");
            Assert.Contains("The security token included in the request is invalid", refused.ErrorMessage);
        });

        // A signature from 20 minutes ago has expired.
        var expired = await fixture.Boto.RunAsync("""
            import datetime
            from unittest import mock
            past = datetime.datetime.utcnow() - datetime.timedelta(minutes=20)
            with mock.patch("botocore.auth.datetime") as fake:
                fake.datetime.utcnow.return_value = past
                fake.datetime.now.return_value = past
                r = signed("GET", "/2015-03-31/functions/")
            out(r)
            """);
        Assert.Equal(403, (int?)expired!["Status"]);
        Assert.Equal("InvalidSignatureException", (string?)expired["Headers"]!["x-amzn-ErrorType"]);
        Assert.Contains("Signature expired", (string?)expired["Body"]);
    }

    [Fact]
    public async Task Another_accounts_key_can_neither_see_nor_change_a_function()
    {
        var name = NodeFixture.UniqueName("mine");
        var arn = $"arn:aws:lambda:us-east-1:{fixture.Main.AccountId}:function:{name}";
        await fixture.Cli.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", Role, "--zip-file", Zips.ToFileArgument(Zips.Create(("app.py", "x = 1\n"))));
        var other = fixture.OtherCli;

        var listed = await other.OkAsync("lambda", "list-functions");
        Assert.DoesNotContain(listed["Functions"]!.AsArray(), f => (string?)f!["FunctionName"] == name);
        await other.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", name);
        await other.FailsAsync("ResourceNotFoundException", "lambda", "get-function", "--function-name", arn);
        await other.FailsAsync("ResourceNotFoundException", "lambda", "delete-function", "--function-name", arn);
        await other.FailsAsync("ResourceNotFoundException", "lambda", "update-function-configuration", "--function-name", arn, "--timeout", "9");
        await other.FailsAsync("ResourceNotFoundException", "lambda", "tag-resource", "--resource", arn, "--tags", "x=y");
        await other.FailsAsync("ResourceNotFoundException", "lambda", "invoke", "--function-name", arn, "/dev/null");

        // The other account may use the same name for its own function: names are per account.
        await other.OkAsync("lambda", "create-function", "--function-name", name, "--runtime", "python3.11",
            "--handler", "app.handler", "--role", $"arn:aws:iam::{NodeFixture.OtherAccount}:role/test",
            "--zip-file", Zips.ToFileArgument(Zips.Create(("app.py", "y = 2\n"))));
        var mine = await fixture.Cli.OkAsync("lambda", "get-function-configuration", "--function-name", name);
        Assert.Equal(3, (int?)mine["Timeout"]);
        Assert.Null(mine["Tags"]);
        Assert.Equal(1, await fixture.CountAsync($"SELECT count(*) FROM grid_functions WHERE name = '{name}' AND account_id = '{fixture.Main.AccountId}'"));
    }
}

public sealed class EmbeddedBadInputTests(EmbeddedNodeFixture fixture)
    : BadInputTests(fixture), IClassFixture<EmbeddedNodeFixture>;

public sealed class ClusterBadInputTests(ClusterNodeFixture fixture)
    : BadInputTests(fixture), IClassFixture<ClusterNodeFixture>;
