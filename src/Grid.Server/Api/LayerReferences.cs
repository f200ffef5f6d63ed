using Grid.Server.Model;
using Grid.Server.Storage;

namespace Grid.Server.Api;

/// <summary>A function's Layers list, checked against the stored layer versions: their references and code in /opt order.</summary>
public sealed record LayerReferences(List<LayerReference> References, List<string> Sha256Hex, long UnzippedSize)
{
    public const int MaxLayers = 5;

    /// <summary>Resolves layer version ARNs as CreateFunction/UpdateFunctionConfiguration take them, with Lambda's errors.</summary>
    public static async Task<LayerReferences> ResolveAsync(LayerStore layers, string account, IReadOnlyList<string> arns, bool includeDeleted = false)
    {
        if (arns.Count > MaxLayers) throw Errors.InvalidParameter($"Cannot reference more than {MaxLayers} layers.");
        var result = new LayerReferences([], [], 0);
        var seen = new Dictionary<string, string>(StringComparer.Ordinal);
        long unzipped = 0;
        foreach (var arn in arns)
        {
            var parsed = LayerArn.ParseVersion(arn)
                ?? throw Errors.Validation(arn, "layers", "Member must satisfy regular expression pattern: " + LayerArn.VersionPattern);
            if (seen.TryGetValue(parsed.Name, out var other))
            {
                throw Errors.InvalidParameter(
                    $"Two different versions of the same layer are not allowed to be referenced in the same function. {other} and {arn} are versions of the same layer.");
            }
            seen[parsed.Name] = arn;
            // Layers are private to their account until layer permissions exist.
            var stored = parsed.Account == account ? await layers.GetAsync(account, parsed.Name, parsed.Version, includeDeleted) : null;
            if (stored is null) throw Errors.InvalidParameter($"Layer version {arn} does not exist.");
            result.References.Add(new LayerReference { Arn = stored.Layer.LayerVersionArn, CodeSize = stored.Layer.Content.CodeSize });
            result.Sha256Hex.Add(stored.Sha256Hex);
            unzipped += stored.UnzippedSize;
        }
        return result with { UnzippedSize = unzipped };
    }

    /// <summary>Function code plus layers must fit Lambda's unzipped limit.</summary>
    public void CheckTotal(long functionUnzipped)
    {
        var total = functionUnzipped + UnzippedSize;
        if (total > CodeLimits.MaxUnzippedBytes)
        {
            throw Errors.InvalidParameter(
                $"Function code combined with layers exceeds the maximum allowed size of {CodeLimits.MaxUnzippedBytes} bytes. The actual size is {total} bytes.");
        }
    }
}
