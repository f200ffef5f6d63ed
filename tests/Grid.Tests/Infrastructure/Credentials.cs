namespace Grid.Tests.Infrastructure;

/// <summary>An access key and the account it belongs to.</summary>
public sealed record Credentials(string AccessKeyId, string SecretAccessKey, string AccountId)
{
    /// <summary>Parses the output of <c>Grid.Server keys create</c>.</summary>
    public static Credentials FromKeysCreateOutput(string output)
    {
        string Field(string name) => output.Split('\n').Select(l => l.Trim())
            .First(l => l.StartsWith(name + ":", StringComparison.Ordinal))[(name.Length + 1)..].Trim();
        return new Credentials(Field("AccessKeyId"), Field("SecretAccessKey"), Field("Account"));
    }

    /// <summary>Parses the AWS credentials file an embedded node writes on first start.</summary>
    public static Credentials FromCredentialsFile(string path, string accountId)
    {
        var values = File.ReadAllLines(path).Where(l => l.Contains('=', StringComparison.Ordinal))
            .Select(l => l.Split('=', 2)).ToDictionary(p => p[0].Trim(), p => p[1].Trim());
        return new Credentials(values["aws_access_key_id"], values["aws_secret_access_key"], accountId);
    }
}
