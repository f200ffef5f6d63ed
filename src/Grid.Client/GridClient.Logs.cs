using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Grid.Client.Internal;

namespace Grid.Client;

/// <summary>Invocation logs: GET /grid/2026-11-01/functions/{name}/logs, stored records or a followed NDJSON stream.</summary>
public sealed partial class GridClient
{
    /// <summary>The node ends a followed stream after this long; the client then reconnects where it left off.</summary>
    private const int FollowSeconds = 3600;

    public IAsyncEnumerable<LogRecord> GetLogsAsync(string function, LogQuery? query = null, CancellationToken cancellationToken = default)
    {
        query ??= new LogQuery();
        return query.Follow ? FollowLogsAsync(function, query, cancellationToken) : StoredLogsAsync(function, query, cancellationToken);
    }

    private async IAsyncEnumerable<LogRecord> StoredLogsAsync(string function, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var path = LogsPath(function) + Query(("requestId", query.RequestId), ("startTime", Millis(query.Start)), ("endTime", Millis(query.End)),
            ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)));
        var events = await GetJsonAsync(new ApiCall(HttpMethod.Get, path, $"GetLogs of '{function}'") { Function = function },
            WireJson.Default.LogEventsResponseDto, r => r.Events ?? [], cancellationToken);
        foreach (var e in events) yield return e.ToRecord();
    }

    /// <summary>Streams JSON lines; when the node closes the stream, reconnects from the last timestamp and skips records already seen.</summary>
    private async IAsyncEnumerable<LogRecord> FollowLogsAsync(string function, LogQuery query, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        var since = query.Start?.ToUnixTimeMilliseconds();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var path = LogsPath(function) + Query(("requestId", query.RequestId), ("startTime", since?.ToString(CultureInfo.InvariantCulture)),
                ("limit", query.Limit?.ToString(CultureInfo.InvariantCulture)), ("follow", "true"), ("timeout", FollowSeconds.ToString(CultureInfo.InvariantCulture)));
            var call = new ApiCall(HttpMethod.Get, path, $"GetLogs (follow) of '{function}'") { Function = function };
            using var response = await SendOnceAsync(call, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
            if (!ErrorMapper.IsSuccess(response.StatusCode))
            {
                throw await ErrorMapper.FromResponseAsync(response, call, _endpoint, _signer.AccessKeyId, 1, cancellationToken);
            }
            await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
            using var reader = new StreamReader(stream);
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                if (line.Length == 0) continue;
                var e = JsonSerializer.Deserialize(line, WireJson.Default.LogEventDto);
                if (e is null || !seen.Add(e.RequestId)) continue;
                if (seen.Count > 10_000) seen.Clear();
                since = Math.Max(since ?? 0, e.Timestamp);
                yield return e.ToRecord();
            }
            await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken);
        }
    }

    private static string LogsPath(string function) => "/grid/2026-11-01/functions/" + Escape(RequireName(function)) + "/logs";

    private static string? Millis(DateTimeOffset? at) => at?.ToUnixTimeMilliseconds().ToString(CultureInfo.InvariantCulture);
}
