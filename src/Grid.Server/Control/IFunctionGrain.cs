using Orleans.Concurrency;
using Grid.Server.Model;
using Grid.Server.Storage;

namespace Grid.Server.Control;

/// <summary>
/// One function (key "account/name"), cluster-wide: $LATEST, its published versions and its aliases. It caches the
/// stored records and serialises every change to them; the database stays the truth.
/// </summary>
public interface IFunctionGrain : IGrainWithStringKey
{
    Task<FunctionRecord?> Get();

    /// <summary>The configuration a qualifier ($LATEST, a version number or an alias) names; null when there is none.</summary>
    Task<FunctionRecord?> GetVersion(string? qualifier);

    /// <summary>What an invoke of the qualifier runs; null when the function or qualifier does not exist.</summary>
    Task<InvokeTarget?> Resolve(string? qualifier);

    /// <summary>Creates $LATEST; with <paramref name="publish"/> also version 1, which is then returned.</summary>
    Task<FunctionRecord> Create(FunctionRecord record, Immutable<byte[]> zip, bool publish);

    /// <summary>Replaces the code. <paramref name="expectedRevision"/> is the client's RevisionId (412 on mismatch).</summary>
    Task<FunctionRecord> UpdateCode(CodeUpload upload, string? expectedRevision, bool publish);

    /// <summary>Stores <paramref name="config"/> if the function is still at <paramref name="baseRevision"/>; null if it moved on.</summary>
    Task<FunctionRecord?> UpdateConfiguration(FunctionConfiguration config, IReadOnlyList<string>? layerSha256Hex, string baseRevision);

    Task<FunctionRecord> UpdateTags(Dictionary<string, string> add, string[] remove);

    Task Delete();

    Task<FunctionRecord> Publish(string? codeSha256, string? description, string? expectedRevision);

    /// <summary>$LATEST then every published version in order.</summary>
    Task<List<FunctionConfiguration>> ListVersions();

    Task DeleteVersion(string version);

    Task<AliasConfiguration> CreateAlias(AliasRequest request);

    Task<AliasConfiguration> UpdateAlias(string alias, AliasRequest request);

    Task<AliasConfiguration?> GetAlias(string alias);

    Task<List<AliasConfiguration>> ListAliases();

    Task DeleteAlias(string alias);
}

/// <summary>A validated package on its way to the store.</summary>
[GenerateSerializer, Immutable]
public sealed record CodeUpload(
    [property: Id(0)] string Sha256Hex,
    [property: Id(1)] string CodeSha256,
    [property: Id(2)] long Size,
    [property: Id(3)] byte[] Zip);
