using System.Text.RegularExpressions;

namespace Grid.Server.Api;

/// <summary>A function reference as the API accepts it: name, name:qualifier, partial ARN or full ARN.</summary>
public readonly record struct FunctionName(string Name, string? Qualifier)
{
    private static readonly Regex Pattern = new(
        @"^(arn:(aws[a-zA-Z-]*)?:lambda:)?(?<region>[a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(?<account>\d{12}:)?(function:)?(?<name>[a-zA-Z0-9-_]+)(:(?<qualifier>\$LATEST|[a-zA-Z0-9-_]+))?$",
        RegexOptions.Compiled | RegexOptions.CultureInvariant);

    public const string PatternText =
        @"(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?";

    /// <summary>The name of an unqualified reference (operations on the function itself, not a version or alias).</summary>
    public static string Unqualified(string raw, string callerAccount, string region) =>
        Parse(raw, callerAccount, region, null, 140, allowQualifier: false).Name;

    /// <summary>Parses and checks the reference belongs to the caller's account (another account's ARN is simply not found).</summary>
    public static FunctionName Parse(string raw, string callerAccount, string region, string? queryQualifier, int maxLength = 170, bool allowQualifier = true)
    {
        if (raw.Length > maxLength)
        {
            throw Errors.Validation(raw, "functionName", $"Member must have length less than or equal to {maxLength}");
        }
        var m = Pattern.Match(raw);
        if (!m.Success)
        {
            throw Errors.Validation(raw, "functionName", $"Member must satisfy regular expression pattern: {PatternText}");
        }
        var name = m.Groups["name"].Value;
        if (name.Length > 64)
        {
            throw Errors.Validation(raw, "functionName", "Member must have length less than or equal to 64");
        }
        var account = m.Groups["account"].Success ? m.Groups["account"].Value.TrimEnd(':') : callerAccount;
        var qualifier = m.Groups["qualifier"].Success ? m.Groups["qualifier"].Value : null;
        // A bare "name:qualifier" parses the qualifier into the name group only when no ARN prefix: handle "f:1".
        if (!string.IsNullOrEmpty(queryQualifier))
        {
            if (qualifier is not null && qualifier != queryQualifier)
            {
                throw Errors.InvalidParameter("The derived qualifier from the function name does not match the specified qualifier.");
            }
            qualifier = queryQualifier;
        }
        if (!allowQualifier && qualifier is not null && qualifier != "$LATEST")
        {
            throw Errors.InvalidParameter(
                "This operation is permitted on Lambda functions only. Aliases and versions do not support this operation. Please specify either a function name or an unqualified function ARN.");
        }
        if (account != callerAccount)
        {
            throw Errors.FunctionNotFound(Arns.Function(region, account, name, qualifier));
        }
        return new FunctionName(name, qualifier);
    }
}

public static class Arns
{
    public static string Function(string region, string account, string name, string? qualifier = null) =>
        qualifier is null ? $"arn:aws:lambda:{region}:{account}:function:{name}" : $"arn:aws:lambda:{region}:{account}:function:{name}:{qualifier}";
}
