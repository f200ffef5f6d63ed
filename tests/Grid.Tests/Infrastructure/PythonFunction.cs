using System.Text.Json;

namespace Grid.Tests.Infrastructure;

/// <summary>Creates the one-file python3.11 test functions (an app.py) with the AWS CLI.</summary>
public static class PythonFunction
{
    /// <summary>
    /// Creates a function named <paramref name="namePrefix"/>-&lt;random&gt; running app.<paramref name="handler"/> of
    /// <paramref name="source"/> with <paramref name="environment"/> and any <paramref name="extra"/> create-function
    /// arguments; returns its name.
    /// </summary>
    public static async Task<string> CreateAsync(AwsCli cli, string namePrefix, string source, string handler,
        IReadOnlyDictionary<string, string> environment, params string[] extra)
    {
        var name = NodeFixture.UniqueName(namePrefix);
        await cli.OkAsync(["lambda", "create-function", "--function-name", name, "--runtime", "python3.11", "--handler", "app." + handler,
            "--role", $"arn:aws:iam::{cli.Credentials.AccountId}:role/test", "--zip-file", Zips.ToFileArgument(Zips.Create(("app.py", source))),
            "--environment", JsonSerializer.Serialize(new { Variables = environment }), .. extra]);
        return name;
    }
}
