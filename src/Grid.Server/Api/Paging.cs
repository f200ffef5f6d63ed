using System.Text;

namespace Grid.Server.Api;

/// <summary>Marker/MaxItems paging over an in-memory list ordered by a key; the marker is the last key, opaque to clients.</summary>
public static class Paging
{
    public static (List<T> Page, string? NextMarker) Page<T>(IReadOnlyList<T> items, Func<T, string> key, string? marker, int maxItems,
        bool descending = false)
    {
        var ordered = descending ? items.OrderByDescending(key, StringComparer.Ordinal) : items.OrderBy(key, StringComparer.Ordinal);
        IEnumerable<T> rest = ordered;
        if (!string.IsNullOrEmpty(marker))
        {
            var after = Decode(marker);
            rest = ordered.Where(i => descending
                ? string.CompareOrdinal(key(i), after) < 0
                : string.CompareOrdinal(key(i), after) > 0);
        }
        var page = rest.Take(maxItems + 1).ToList();
        if (page.Count <= maxItems) return (page, null);
        page.RemoveAt(page.Count - 1);
        return (page, Convert.ToBase64String(Encoding.UTF8.GetBytes(key(page[^1]))));
    }

    /// <summary>The MaxItems query parameter, 1..<paramref name="limit"/>, default 50.</summary>
    public static int MaxItems(string? raw, int limit = 50)
    {
        if (string.IsNullOrEmpty(raw)) return 50;
        if (!int.TryParse(raw, out var max) || max < 1)
        {
            throw Errors.Validation(raw, "maxItems", "Member must have value greater than or equal to 1");
        }
        if (max > limit) throw Errors.Validation(raw, "maxItems", $"Member must have value less than or equal to {limit}");
        return max;
    }

    private static string Decode(string marker)
    {
        try
        {
            return Encoding.UTF8.GetString(Convert.FromBase64String(marker));
        }
        catch (FormatException)
        {
            throw Errors.InvalidParameter("Invalid marker: pass the NextMarker value of the previous page.");
        }
    }
}
