using Grid.Server.Api.Auth;

namespace Grid.Server.Hosting;

/// <summary>
/// Embedded mode's first start creates an access key for account 000000000000, writes it as an AWS credentials
/// file beside the database, and tells the user how to use it.
/// </summary>
public static class DevelopmentKey
{
    public const string Account = "000000000000";

    public static async Task EnsureAsync(AccessKeyStore keys, GridOptions options)
    {
        var file = Path.Combine(options.FullDataDirectory, "credentials");
        if (!keys.HasAccount(Account))
        {
            var key = await keys.CreateAsync(Account);
            await File.WriteAllTextAsync(file,
                $"[grid]\naws_access_key_id = {key.AccessKeyId}\naws_secret_access_key = {key.SecretAccessKey}\n");
            File.SetUnixFileMode(file, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            Console.WriteLine(
                $"""
                Created a development access key for account {Account}. Use it with the AWS CLI:
                  aws configure set aws_access_key_id {key.AccessKeyId} --profile grid
                  aws configure set aws_secret_access_key {key.SecretAccessKey} --profile grid
                  aws configure set region {options.Region} --profile grid
                  aws --profile grid --endpoint-url http://{options.ListenAddress}:{options.Port} lambda list-functions
                (or: export AWS_SHARED_CREDENTIALS_FILE={file} AWS_PROFILE=grid)
                """);
            return;
        }
        Console.WriteLine($"Development credentials: {file} (profile 'grid'; export AWS_SHARED_CREDENTIALS_FILE={file} AWS_PROFILE=grid)");
    }
}
