using Orleans.Concurrency;
using Grid.Server.Api;
using Grid.Server.Hosting;
using Grid.Server.Model;
using Grid.Server.Storage;
using Microsoft.Extensions.Options;

namespace Grid.Server.Control;

public sealed class FunctionGrain(MetadataStore store, ICodeStore code, IOptions<GridOptions> options, TimeProvider time)
    : Grain, IFunctionGrain
{
    private string _account = "";
    private string _name = "";
    private FunctionRecord? _latest;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        (_account, _name) = (key[..slash], key[(slash + 1)..]);
        _latest = await store.GetAsync(_account, _name, "$LATEST", cancellationToken);
    }

    Task<FunctionRecord?> IFunctionGrain.Get() => Task.FromResult(_latest);

    async Task<FunctionRecord> IFunctionGrain.Create(FunctionRecord record, Immutable<byte[]> zip)
    {
        if (_latest is not null) throw Errors.FunctionExists(_name);
        await code.PutAsync(record.CodeSha256Hex, zip.Value);
        if (!await store.InsertAsync(record))
        {
            await DeleteIfUnreferenced(record.CodeSha256Hex);
            throw Errors.FunctionExists(_name);
        }
        return _latest = record;
    }

    async Task<FunctionRecord> IFunctionGrain.UpdateCode(CodeUpload upload, string? expectedRevision)
    {
        var current = Current();
        CheckRevision(current, expectedRevision);
        await code.PutAsync(upload.Sha256Hex, upload.Zip);
        var config = current.Config.Clone();
        config.CodeSha256 = upload.CodeSha256;
        config.CodeSize = upload.Size;
        Touch(config);
        var updated = current with { Config = config, CodeSha256Hex = upload.Sha256Hex };
        await store.UpdateAsync(updated);
        _latest = updated;
        if (current.CodeSha256Hex != upload.Sha256Hex) await DeleteIfUnreferenced(current.CodeSha256Hex);
        return updated;
    }

    async Task<FunctionRecord?> IFunctionGrain.UpdateConfiguration(FunctionConfiguration config, string baseRevision)
    {
        var current = Current();
        if (current.Config.RevisionId != baseRevision) return null;
        config = config.Clone();
        Touch(config);
        var updated = current with { Config = config };
        await store.UpdateAsync(updated);
        return _latest = updated;
    }

    async Task<FunctionRecord> IFunctionGrain.UpdateTags(Dictionary<string, string> add, string[] remove)
    {
        var current = Current();
        var tags = new Dictionary<string, string>(current.Tags);
        foreach (var (k, v) in add) tags[k] = v;
        foreach (var k in remove) tags.Remove(k);
        FunctionValidator.Tags(tags);
        var updated = current with { Tags = tags };
        await store.UpdateAsync(updated);
        return _latest = updated;
    }

    async Task IFunctionGrain.Delete()
    {
        Current();
        var orphans = await store.DeleteFunctionAsync(_account, _name);
        foreach (var hash in orphans) await code.DeleteAsync(hash);
        _latest = null;
        DeactivateOnIdle();
    }

    private FunctionRecord Current() =>
        _latest ?? throw Errors.FunctionNotFound(Arns.Function(options.Value.Region, _account, _name));

    private static void CheckRevision(FunctionRecord current, string? expected)
    {
        if (expected is not null && expected != current.Config.RevisionId) throw Errors.PreconditionFailed();
    }

    private void Touch(FunctionConfiguration config)
    {
        config.RevisionId = Guid.NewGuid().ToString();
        config.LastModified = Timestamps.Format(time.GetUtcNow());
        config.LastUpdateStatus = "Successful";
    }

    private async Task DeleteIfUnreferenced(string sha256Hex)
    {
        if (!await store.IsCodeReferencedAsync(sha256Hex)) await code.DeleteAsync(sha256Hex);
    }
}
