using Orleans.Concurrency;
using Grid.Server.Model;
using Grid.Server.Storage;

namespace Grid.Server.Control;

/// <summary>
/// One function (key "account/name"), cluster-wide. It caches the function's records and serialises every change
/// to them; the database stays the truth.
/// </summary>
public interface IFunctionGrain : IGrainWithStringKey
{
    Task<FunctionRecord?> Get();

    Task<FunctionRecord> Create(FunctionRecord record, Immutable<byte[]> zip);

    /// <summary>Replaces the code. <paramref name="expectedRevision"/> is the client's RevisionId (412 on mismatch).</summary>
    Task<FunctionRecord> UpdateCode(CodeUpload upload, string? expectedRevision);

    /// <summary>Stores <paramref name="config"/> if the function is still at <paramref name="baseRevision"/>; null if it moved on.</summary>
    Task<FunctionRecord?> UpdateConfiguration(FunctionConfiguration config, string baseRevision);

    Task<FunctionRecord> UpdateTags(Dictionary<string, string> add, string[] remove);

    Task Delete();
}

/// <summary>A validated package on its way to the store.</summary>
[GenerateSerializer, Immutable]
public sealed record CodeUpload(
    [property: Id(0)] string Sha256Hex,
    [property: Id(1)] string CodeSha256,
    [property: Id(2)] long Size,
    [property: Id(3)] byte[] Zip);
