using System.Globalization;

namespace Grid.Server.Model;

/// <summary>Lambda's string timestamp shape, e.g. "2020-04-10T19:06:32.563+0000".</summary>
public static class Timestamps
{
    public static string Format(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'+0000'", CultureInfo.InvariantCulture);

    /// <summary>Without milliseconds, as provisioned concurrency's LastModified ("2019-11-21T19:32:12+0000").</summary>
    public static string FormatSeconds(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'+0000'", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 in UTC with milliseconds and "Z" ("2026-11-25T19:22:38.371Z"): Grid's own APIs and destination records.</summary>
    public static string FormatIso(DateTimeOffset t) =>
        t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);
}
