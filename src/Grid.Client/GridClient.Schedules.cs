using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using Grid.Client.Internal;

namespace Grid.Client;

internal sealed class ListSchedulesResponseDto
{
    public List<ScheduleInfo>? Schedules { get; set; }
    public string? NextMarker { get; set; }
}

[JsonSourceGenerationOptions(PropertyNameCaseInsensitive = true, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(ScheduleRequest))]
[JsonSerializable(typeof(ScheduleInfo))]
[JsonSerializable(typeof(ListSchedulesResponseDto))]
internal sealed partial class ScheduleWireJson : JsonSerializerContext;

/// <summary>Schedules: GET/POST /grid/2026-11-01/schedules, GET/PUT/DELETE /grid/2026-11-01/schedules/{name}.</summary>
public sealed partial class GridClient
{
    private const string SchedulesPath = "/grid/2026-11-01/schedules";

    public Task<ScheduleInfo> CreateScheduleAsync(ScheduleRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        return SendJsonAsync(new ApiCall(HttpMethod.Post, SchedulesPath, $"CreateSchedule '{request.Name}'")
            {
                Body = JsonSerializer.SerializeToUtf8Bytes(request, ScheduleWireJson.Default.ScheduleRequest),
            },
            ScheduleWireJson.Default.ScheduleInfo, s => s, cancellationToken);
    }

    public Task<ScheduleInfo> UpdateScheduleAsync(string name, ScheduleRequest changes, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(changes);
        return SendJsonAsync(new ApiCall(HttpMethod.Put, SchedulePath(name), $"UpdateSchedule '{name}'")
            {
                Body = JsonSerializer.SerializeToUtf8Bytes(changes, ScheduleWireJson.Default.ScheduleRequest),
            },
            ScheduleWireJson.Default.ScheduleInfo, s => s, cancellationToken);
    }

    public Task<ScheduleInfo> GetScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        GetJsonAsync(new ApiCall(HttpMethod.Get, SchedulePath(name), $"GetSchedule '{name}'"), ScheduleWireJson.Default.ScheduleInfo, s => s,
            cancellationToken);

    public async IAsyncEnumerable<ScheduleInfo> ListSchedulesAsync(string? namePrefix = null, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        string? marker = null;
        do
        {
            var page = await GetJsonAsync(new ApiCall(HttpMethod.Get, SchedulesPath + Query(("NamePrefix", namePrefix), ("Marker", marker)), "ListSchedules"),
                ScheduleWireJson.Default.ListSchedulesResponseDto, p => p, cancellationToken);
            foreach (var s in page.Schedules ?? []) yield return s;
            marker = page.NextMarker;
        }
        while (!string.IsNullOrEmpty(marker));
    }

    public Task DeleteScheduleAsync(string name, CancellationToken cancellationToken = default) =>
        SendNoContentAsync(new ApiCall(HttpMethod.Delete, SchedulePath(name), $"DeleteSchedule '{name}'"), cancellationToken);

    private static string SchedulePath(string name) =>
        SchedulesPath + "/" + Escape(string.IsNullOrWhiteSpace(name) ? throw new ArgumentException("A schedule name is required.", nameof(name)) : name);
}
