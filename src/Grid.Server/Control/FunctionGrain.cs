using System.Net;
using System.Text.Json;
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
    private SortedDictionary<int, FunctionRecord> _versions = [];
    private Dictionary<string, AliasConfiguration> _aliases = new(StringComparer.Ordinal);
    private int _lastVersion;

    public override async Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = this.GetPrimaryKeyString();
        var slash = key.IndexOf('/');
        (_account, _name) = (key[..slash], key[(slash + 1)..]);
        var stored = await store.LoadAsync(_account, _name, cancellationToken);
        if (stored is not null)
        {
            (_latest, _versions, _aliases, _lastVersion) = (stored.Latest, stored.Versions, stored.Aliases, stored.LastVersion);
        }
    }

    Task<FunctionRecord?> IFunctionGrain.Get() => Task.FromResult(_latest);

    Task<FunctionRecord?> IFunctionGrain.GetVersion(string? qualifier)
    {
        if (_latest is null) return Task.FromResult<FunctionRecord?>(null);
        if (qualifier is null || qualifier == "$LATEST") return Task.FromResult<FunctionRecord?>(_latest);
        if (IsVersionNumber(qualifier)) return Task.FromResult(Version(qualifier));
        if (!_aliases.TryGetValue(qualifier, out var alias)) return Task.FromResult<FunctionRecord?>(null);
        // Through an alias, the configuration is the alias's version under the alias ARN (as GetFunction on AWS).
        var target = Version(alias.FunctionVersion)!;
        var config = target.Config.Clone();
        config.FunctionArn = alias.AliasArn;
        return Task.FromResult<FunctionRecord?>(target with { Config = config });
    }

    Task<InvokeTarget?> IFunctionGrain.Resolve(string? qualifier)
    {
        if (_latest is null) return Task.FromResult<InvokeTarget?>(null);
        if (qualifier is null || qualifier == "$LATEST") return Task.FromResult<InvokeTarget?>(new InvokeTarget(_latest));
        if (IsVersionNumber(qualifier))
        {
            return Task.FromResult(Version(qualifier) is { } v ? new InvokeTarget(v) : null);
        }
        if (!_aliases.TryGetValue(qualifier, out var alias)) return Task.FromResult<InvokeTarget?>(null);
        var primary = Version(alias.FunctionVersion)!;
        return Task.FromResult<InvokeTarget?>(alias.Additional is { } extra
            ? new InvokeTarget(primary, Version(extra.Version), extra.Weight)
            : new InvokeTarget(primary));
    }

    async Task<FunctionRecord> IFunctionGrain.Create(FunctionRecord record, Immutable<byte[]> zip, bool publish)
    {
        if (_latest is not null) throw Errors.FunctionExists(_name);
        await code.PutAsync(record.CodeSha256Hex, zip.Value);
        if (!await store.InsertAsync(record))
        {
            await DeleteIfUnreferenced(record.CodeSha256Hex);
            throw Errors.FunctionExists(_name);
        }
        _latest = record;
        return publish ? await PublishAsync(null) : record;
    }

    async Task<FunctionRecord> IFunctionGrain.UpdateCode(CodeUpload upload, string? expectedRevision, bool publish)
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
        return publish ? await PublishAsync(null) : updated;
    }

    async Task<FunctionRecord?> IFunctionGrain.UpdateConfiguration(FunctionConfiguration config, IReadOnlyList<string>? layerSha256Hex, string baseRevision)
    {
        var current = Current();
        if (current.Config.RevisionId != baseRevision) return null;
        config = config.Clone();
        Touch(config);
        var updated = current with { Config = config, LayerSha256Hex = layerSha256Hex ?? current.LayerSha256Hex };
        await store.UpdateAsync(updated);
        _latest = updated;
        foreach (var dropped in current.LayerSha256Hex.Except(updated.LayerSha256Hex)) await DeleteIfUnreferenced(dropped);
        return updated;
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
        (_latest, _versions, _aliases, _lastVersion) = (null, [], new(StringComparer.Ordinal), 0);
        DeactivateOnIdle();
    }

    async Task<FunctionRecord> IFunctionGrain.Publish(string? codeSha256, string? description, string? expectedRevision)
    {
        var current = Current();
        CheckRevision(current, expectedRevision);
        if (codeSha256 is not null && codeSha256 != current.Config.CodeSha256)
        {
            throw Errors.InvalidParameter(
                $"CodeSHA256 ({codeSha256}) is different from current CodeSHA256 in $LATEST ({current.Config.CodeSha256}). Please try again with the CodeSHA256 in $LATEST.");
        }
        return await PublishAsync(description);
    }

    Task<List<FunctionConfiguration>> IFunctionGrain.ListVersions()
    {
        var latest = Current().Config.Clone();
        latest.FunctionArn = Arn("$LATEST");
        return Task.FromResult<List<FunctionConfiguration>>([latest, .. _versions.Values.Select(v => v.Config)]);
    }

    async Task IFunctionGrain.DeleteVersion(string version)
    {
        Current();
        if (!IsVersionNumber(version) || !_versions.ContainsKey(int.Parse(version)))
        {
            throw Errors.FunctionNotFound(Arn(version));
        }
        var users = _aliases.Values.Where(a => a.FunctionVersion == version || a.Additional?.Version == version).Select(a => a.Name).Order().ToList();
        if (users.Count > 0)
        {
            throw Conflict($"Unable to delete version because the following aliases reference it: [{string.Join(", ", users)}]");
        }
        var orphans = await store.DeleteVersionAsync(_account, _name, version);
        _versions.Remove(int.Parse(version));
        foreach (var hash in orphans) await code.DeleteAsync(hash);
    }

    async Task<AliasConfiguration> IFunctionGrain.CreateAlias(AliasRequest request)
    {
        Current();
        var name = request.Name!;
        if (_aliases.ContainsKey(name)) throw Conflict($"Alias already exists: {Arn(name)}");
        var alias = new AliasConfiguration
        {
            AliasArn = Arn(name), Name = name, FunctionVersion = request.FunctionVersion!, Description = request.Description ?? "",
            RoutingConfig = request.RoutingConfig, RevisionId = Guid.NewGuid().ToString(),
        };
        CheckTargets(alias);
        await store.PutAliasAsync(_account, _name, alias);
        return _aliases[name] = alias;
    }

    async Task<AliasConfiguration> IFunctionGrain.UpdateAlias(string name, AliasRequest request)
    {
        Current();
        if (!_aliases.TryGetValue(name, out var current)) throw Errors.ResourceNotFound($"Alias not found: {Arn(name)}");
        if (request.RevisionId is not null && request.RevisionId != current.RevisionId) throw Errors.PreconditionFailed();
        var alias = new AliasConfiguration
        {
            AliasArn = current.AliasArn, Name = name, FunctionVersion = request.FunctionVersion ?? current.FunctionVersion,
            Description = request.Description ?? current.Description, RevisionId = Guid.NewGuid().ToString(),
            RoutingConfig = request.RoutingConfig is null ? current.RoutingConfig
                : request.RoutingConfig.AdditionalVersionWeights is { Count: > 0 } ? request.RoutingConfig : null,
        };
        CheckTargets(alias);
        await store.PutAliasAsync(_account, _name, alias);
        return _aliases[name] = alias;
    }

    Task<AliasConfiguration?> IFunctionGrain.GetAlias(string alias)
    {
        Current();
        return Task.FromResult(_aliases.GetValueOrDefault(alias));
    }

    Task<List<AliasConfiguration>> IFunctionGrain.ListAliases()
    {
        Current();
        return Task.FromResult(_aliases.Values.OrderBy(a => a.Name, StringComparer.Ordinal).ToList());
    }

    async Task IFunctionGrain.DeleteAlias(string alias)
    {
        Current();
        if (!_aliases.Remove(alias)) return;
        await store.DeleteAliasAsync(_account, _name, alias);
    }

    /// <summary>Publishes $LATEST as the next version, or returns the last version when nothing changed since it.</summary>
    private async Task<FunctionRecord> PublishAsync(string? description)
    {
        var latest = Current();
        if (_versions.Count > 0 && _versions.Last().Value is var last && SameContent(last, latest)) return last;
        var number = _lastVersion + 1;
        var version = number.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var config = latest.Config.Clone();
        config.Version = version;
        config.FunctionArn = Arn(version);
        config.Description = description ?? latest.Config.Description;
        Touch(config);
        var record = latest with { Version = version, Config = config, Tags = [] };
        await store.PublishAsync(record, number);
        _lastVersion = number;
        return _versions[number] = record;
    }

    /// <summary>Would publishing <paramref name="latest"/> produce <paramref name="version"/> again (code and settings alike)?</summary>
    private static bool SameContent(FunctionRecord version, FunctionRecord latest)
    {
        if (version.CodeSha256Hex != latest.CodeSha256Hex || !version.LayerSha256Hex.SequenceEqual(latest.LayerSha256Hex)) return false;
        return Normalized(version.Config) == Normalized(latest.Config);

        static string Normalized(FunctionConfiguration c)
        {
            var copy = c.Clone();
            (copy.FunctionArn, copy.Version, copy.RevisionId, copy.LastModified, copy.Description) = ("", "", "", "", "");
            return JsonSerializer.Serialize(copy, GridJsonContext.Default.FunctionConfiguration);
        }
    }

    /// <summary>The versions an alias points to must exist, and a split may not involve $LATEST.</summary>
    private void CheckTargets(AliasConfiguration alias)
    {
        if (Version(alias.FunctionVersion) is null) throw Errors.FunctionNotFound(Arn(alias.FunctionVersion));
        if (alias.Additional is not { } extra) return;
        if (extra.Version == "$LATEST" || alias.FunctionVersion == "$LATEST")
        {
            throw Errors.InvalidParameter("$LATEST is not supported for an alias pointing to more than 1 version");
        }
        if (extra.Version == alias.FunctionVersion)
        {
            throw Errors.InvalidParameter($"Invalid function version {extra.Version}. Function version {extra.Version} is already included in routing configuration.");
        }
        if (Version(extra.Version) is null) throw Errors.FunctionNotFound(Arn(extra.Version));
    }

    private FunctionRecord? Version(string qualifier) =>
        qualifier == "$LATEST" ? _latest
        : int.TryParse(qualifier, out var n) && _versions.TryGetValue(n, out var v) ? v : null;

    private static bool IsVersionNumber(string qualifier) => qualifier.Length > 0 && qualifier.All(char.IsAsciiDigit);

    private string Arn(string? qualifier = null) => Arns.Function(options.Value.Region, _account, _name, qualifier);

    private FunctionRecord Current() => _latest ?? throw Errors.FunctionNotFound(Arn());

    private static LambdaException Conflict(string message) =>
        new(HttpStatusCode.Conflict, "ResourceConflictException", message, MessageCasing.Lower);

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
