using System.Text.Json;
using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>One invocation's context. The deadline token and the client context are made only when the handler asks.</summary>
internal sealed class FunctionContext(InvokeHeader header, FunctionEnvironment environment, IFunctionLogger logger) : IFunctionContext, IDisposable
{
    private CancellationTokenSource? _deadline;
    private ClientContext? _clientContext;
    private CognitoIdentity? _identity;

    public string RequestId => header.RequestId;
    public string FunctionName => environment.FunctionName;
    public string FunctionVersion => environment.FunctionVersion;
    public string InvokedFunctionArn => header.InvokedFunctionArn;
    public int MemoryLimitInMB => environment.MemoryLimitInMB;
    public DateTimeOffset Deadline => DateTimeOffset.FromUnixTimeMilliseconds(header.DeadlineMs);
    public TimeSpan RemainingTime => Deadline - DateTimeOffset.UtcNow is var left && left > TimeSpan.Zero ? left : TimeSpan.Zero;
    public CancellationToken CancellationToken => (_deadline ??= DeadlineSource()).Token;
    public string LogGroupName => environment.LogGroupName;
    public string LogStreamName => environment.LogStreamName;
    public string? TraceId => header.TraceId;
    public ClientContext? ClientContext => _clientContext ??= ParseClientContext(header.ClientContext);
    public CognitoIdentity? Identity => _identity ??= ParseIdentity(header.CognitoIdentity);
    public IFunctionLogger Logger => logger;

    public void Dispose() => _deadline?.Dispose();

    private CancellationTokenSource DeadlineSource()
    {
        var remaining = RemainingTime;
        // Leave the handler time to stop: 500 ms, or a tenth of what is left when that is shorter.
        var margin = TimeSpan.FromTicks(Math.Min(TimeSpan.FromMilliseconds(500).Ticks, remaining.Ticks / 10));
        return new CancellationTokenSource(remaining - margin);
    }

    private static ClientContext? ParseClientContext(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object) return null;
            ClientApplication? client = null;
            if (root.TryGetProperty("client", out var c) && c.ValueKind == JsonValueKind.Object)
            {
                client = new ClientApplication(Text(c, "installation_id"), Text(c, "app_title"), Text(c, "app_version_name"),
                    Text(c, "app_version_code"), Text(c, "app_package_name"));
            }
            return new ClientContext(json, client, Strings(root, "custom"), Strings(root, "env"));
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static CognitoIdentity? ParseIdentity(string? json)
    {
        if (string.IsNullOrEmpty(json)) return null;
        try
        {
            using var document = JsonDocument.Parse(json);
            var root = document.RootElement;
            return root.ValueKind == JsonValueKind.Object ? new CognitoIdentity(Text(root, "cognitoIdentityId"), Text(root, "cognitoIdentityPoolId")) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static string? Text(JsonElement element, string name) =>
        element.TryGetProperty(name, out var value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;

    private static Dictionary<string, string> Strings(JsonElement root, string name)
    {
        var values = new Dictionary<string, string>(StringComparer.Ordinal);
        if (root.TryGetProperty(name, out var obj) && obj.ValueKind == JsonValueKind.Object)
        {
            foreach (var property in obj.EnumerateObject())
            {
                values[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        return values;
    }
}
