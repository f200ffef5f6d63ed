using System.Text.Json;
using Grid.Server.Streams;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// Reads a function's partial batch response ({"batchItemFailures": [{"itemIdentifier": "&lt;sequenceNumber&gt;"}]}) as Lambda
/// does for Kinesis: success for null, {}, an empty or null list; the lowest failed record otherwise; a complete failure
/// for anything it cannot read (invalid JSON, a missing, empty or unknown itemIdentifier).
/// </summary>
public static class BatchItemFailures
{
    /// <summary>The outcome: <see cref="Success"/>, <see cref="CompleteFailure"/>, or the index (0..) of the lowest failed record.</summary>
    public const int Success = -1;
    public const int CompleteFailure = -2;

    public static int FirstFailedIndex(byte[] response, ReadOnlySpan<StreamRecord> batch, int shard)
    {
        if (response.AsSpan().Trim(" \t\r\n"u8).Length == 0) return Success;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(response);
        }
        catch (JsonException)
        {
            return CompleteFailure;
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Null) return Success;
            if (root.ValueKind != JsonValueKind.Object) return CompleteFailure;
            if (!root.TryGetProperty("batchItemFailures", out var failures) || failures.ValueKind == JsonValueKind.Null) return Success;
            if (failures.ValueKind != JsonValueKind.Array) return CompleteFailure;
            var lowest = int.MaxValue;
            foreach (var failure in failures.EnumerateArray())
            {
                if (failure.ValueKind != JsonValueKind.Object || !failure.TryGetProperty("itemIdentifier", out var id)
                    || id.ValueKind != JsonValueKind.String || !SequenceNumbers.TryParse(id.GetString(), out var idShard, out var seq) || idShard != shard)
                {
                    return CompleteFailure;
                }
                var index = IndexOf(batch, seq);
                if (index < 0) return CompleteFailure; // a sequence number that is not in the batch
                lowest = Math.Min(lowest, index);
            }
            return lowest == int.MaxValue ? Success : lowest;
        }
    }

    private static int IndexOf(ReadOnlySpan<StreamRecord> batch, long seq)
    {
        int lo = 0, hi = batch.Length - 1;
        while (lo <= hi)
        {
            var mid = (lo + hi) >>> 1;
            if (batch[mid].Seq == seq) return mid;
            if (batch[mid].Seq < seq) lo = mid + 1;
            else hi = mid - 1;
        }
        return -1;
    }
}
