using System.Text.Json;
using System.Text.RegularExpressions;

namespace Grid.Server.Triggers.Mappings;

/// <summary>
/// One Lambda/EventBridge event filter pattern, parsed once and matched against JSON values. A pattern is an object whose
/// keys name fields; a value is a nested pattern (an object) or a list of conditions (any may match): exact strings,
/// numbers, booleans and null, and the operators prefix, suffix, equals-ignore-case, wildcard, anything-but (a value, a list,
/// or a prefix/suffix), numeric ranges and exists. All keys of a pattern must match. When the field's value is an array,
/// the condition matches if any element matches.
/// </summary>
public sealed class FilterPattern
{
    private readonly List<(string Field, FilterPattern? Nested, Condition[]? Conditions)> _fields;

    private FilterPattern(List<(string, FilterPattern?, Condition[]?)> fields) => _fields = fields;

    /// <summary>The top-level field names the pattern uses.</summary>
    public IEnumerable<string> Fields => _fields.Select(f => f.Field);

    public static FilterPattern Parse(string json)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FilterPatternException($"The pattern is not valid JSON: {e.Message}");
        }
        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new FilterPatternException("A pattern must be a JSON object, for example {\"data\": {\"type\": [\"order\"]}}.");
            }
            return ParseObject(document.RootElement, "");
        }
    }

    private static FilterPattern ParseObject(JsonElement element, string path)
    {
        var fields = new List<(string, FilterPattern?, Condition[]?)>();
        foreach (var property in element.EnumerateObject())
        {
            var at = path.Length == 0 ? property.Name : $"{path}.{property.Name}";
            switch (property.Value.ValueKind)
            {
                case JsonValueKind.Object:
                    fields.Add((property.Name, ParseObject(property.Value, at), null));
                    break;
                case JsonValueKind.Array:
                    var conditions = property.Value.EnumerateArray().Select(c => Condition.Parse(c, at)).ToArray();
                    if (conditions.Length == 0) throw new FilterPatternException($"'{at}' has an empty list: give at least one value or operator.");
                    fields.Add((property.Name, null, conditions));
                    break;
                default:
                    throw new FilterPatternException($"'{at}' must be an object or a list of values, e.g. \"{property.Name}\": [\"value\"].");
            }
        }
        if (fields.Count == 0) throw new FilterPatternException(path.Length == 0 ? "The pattern is empty." : $"'{path}' is an empty object.");
        return new FilterPattern(fields);
    }

    /// <summary>True when every field of the pattern matches <paramref name="value"/> (null: the value is absent).</summary>
    public bool Matches(JsonElement? value)
    {
        foreach (var (field, nested, conditions) in _fields)
        {
            JsonElement? child = value is { ValueKind: JsonValueKind.Object } o && o.TryGetProperty(field, out var p) ? p : null;
            var ok = nested is not null ? nested.Matches(child) : MatchesAny(conditions!, child);
            if (!ok) return false;
        }
        return true;
    }

    private static bool MatchesAny(Condition[] conditions, JsonElement? value)
    {
        if (value is not { } v) return conditions.Any(c => c.MatchesMissing);
        if (v.ValueKind == JsonValueKind.Array)
        {
            foreach (var item in v.EnumerateArray())
            {
                if (conditions.Any(c => c.Matches(item))) return true;
            }
            return false;
        }
        return conditions.Any(c => c.Matches(v));
    }

    /// <summary>One entry of a condition list.</summary>
    private abstract class Condition
    {
        public virtual bool MatchesMissing => false;

        public abstract bool Matches(JsonElement value);

        public static Condition Parse(JsonElement c, string at) => c.ValueKind switch
        {
            JsonValueKind.String or JsonValueKind.Number or JsonValueKind.True or JsonValueKind.False or JsonValueKind.Null => new Exact(c.Clone()),
            JsonValueKind.Object => ParseOperator(c, at),
            _ => throw new FilterPatternException($"'{at}' lists a nested list; use values or operator objects."),
        };

        private static Condition ParseOperator(JsonElement c, string at)
        {
            using var properties = c.EnumerateObject();
            var list = properties.ToList();
            if (list.Count != 1) throw new FilterPatternException($"An operator object at '{at}' must have exactly one key, e.g. {{\"prefix\": \"abc\"}}.");
            var (op, arg) = (list[0].Name, list[0].Value);
            return op switch
            {
                "prefix" => new StringTest(String(arg, at, op), (v, a) => v.StartsWith(a, StringComparison.Ordinal)),
                "suffix" => new StringTest(String(arg, at, op), (v, a) => v.EndsWith(a, StringComparison.Ordinal)),
                "equals-ignore-case" => new StringTest(String(arg, at, op), (v, a) => string.Equals(v, a, StringComparison.OrdinalIgnoreCase)),
                "wildcard" => new Wildcard(String(arg, at, op)),
                "exists" => arg.ValueKind is JsonValueKind.True or JsonValueKind.False
                    ? new Exists(arg.ValueKind == JsonValueKind.True)
                    : throw new FilterPatternException($"'exists' at '{at}' takes true or false."),
                "numeric" => Numeric.Create(arg, at),
                "anything-but" => AnythingBut.Create(arg, at),
                _ => throw new FilterPatternException(
                    $"Unknown operator '{op}' at '{at}': use prefix, suffix, equals-ignore-case, wildcard, anything-but, numeric or exists."),
            };
        }

        private static string String(JsonElement arg, string at, string op) =>
            arg.ValueKind == JsonValueKind.String ? arg.GetString()! : throw new FilterPatternException($"'{op}' at '{at}' takes a string.");
    }

    private sealed class Exact(JsonElement expected) : Condition
    {
        public override bool Matches(JsonElement value) => Same(expected, value);

        internal static bool Same(JsonElement a, JsonElement b) => a.ValueKind switch
        {
            JsonValueKind.String => b.ValueKind == JsonValueKind.String && a.ValueEquals(b.GetString()),
            JsonValueKind.Number => b.ValueKind == JsonValueKind.Number && a.GetDouble() == b.GetDouble(),
            _ => a.ValueKind == b.ValueKind, // true, false, null
        };
    }

    private sealed class StringTest(string argument, Func<string, string, bool> test) : Condition
    {
        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String && test(value.GetString()!, argument);
    }

    private sealed class Wildcard(string pattern) : Condition
    {
        private readonly Regex _regex = new("^" + string.Join(".*", pattern.Split('*').Select(Regex.Escape)) + "$",
            RegexOptions.CultureInvariant | RegexOptions.Singleline, TimeSpan.FromMilliseconds(100));

        public override bool Matches(JsonElement value) => value.ValueKind == JsonValueKind.String && _regex.IsMatch(value.GetString()!);
    }

    private sealed class Exists(bool present) : Condition
    {
        public override bool MatchesMissing => !present;

        // Exists applies to leaf values: an object is a branch, not a value.
        public override bool Matches(JsonElement value) => present && value.ValueKind != JsonValueKind.Object;
    }

    private sealed class Numeric(List<(string Op, double Value)> bounds) : Condition
    {
        private static readonly string[] Operators = ["=", "<", "<=", ">", ">="];

        public static Numeric Create(JsonElement arg, string at)
        {
            if (arg.ValueKind != JsonValueKind.Array) throw Bad(at);
            var items = arg.EnumerateArray().ToList();
            if (items.Count is not (2 or 4)) throw Bad(at);
            var bounds = new List<(string, double)>();
            for (var i = 0; i < items.Count; i += 2)
            {
                if (items[i].ValueKind != JsonValueKind.String || !Operators.Contains(items[i].GetString())
                    || items[i + 1].ValueKind != JsonValueKind.Number)
                {
                    throw Bad(at);
                }
                bounds.Add((items[i].GetString()!, items[i + 1].GetDouble()));
            }
            return new Numeric(bounds);
        }

        private static FilterPatternException Bad(string at) => new(
            $"'numeric' at '{at}' takes an operator and a number, or two of each, e.g. [\">\", 0, \"<=\", 5]; operators: = < <= > >=.");

        public override bool Matches(JsonElement value)
        {
            if (value.ValueKind != JsonValueKind.Number) return false;
            var v = value.GetDouble();
            foreach (var (op, bound) in bounds)
            {
                var ok = op switch { "=" => v == bound, "<" => v < bound, "<=" => v <= bound, ">" => v > bound, _ => v >= bound };
                if (!ok) return false;
            }
            return true;
        }
    }

    private sealed class AnythingBut(Condition inner) : Condition
    {
        public static AnythingBut Create(JsonElement arg, string at)
        {
            switch (arg.ValueKind)
            {
                case JsonValueKind.String or JsonValueKind.Number:
                    return new AnythingBut(new Exact(arg.Clone()));
                case JsonValueKind.Array:
                    var values = arg.EnumerateArray().Select(v => v.ValueKind is JsonValueKind.String or JsonValueKind.Number
                        ? v.Clone()
                        : throw new FilterPatternException($"'anything-but' at '{at}' lists only strings or numbers.")).ToArray();
                    return new AnythingBut(new AnyOf(values));
                case JsonValueKind.Object:
                    var inner = Condition.Parse(arg, at);
                    return inner is StringTest
                        ? new AnythingBut(inner)
                        : throw new FilterPatternException($"'anything-but' at '{at}' takes a value, a list, or a prefix/suffix/equals-ignore-case object.");
                default:
                    throw new FilterPatternException($"'anything-but' at '{at}' takes a string, a number, a list of them, or {{\"prefix\": ...}}.");
            }
        }

        public override bool Matches(JsonElement value) => value.ValueKind != JsonValueKind.Object && !inner.Matches(value);
    }

    private sealed class AnyOf(JsonElement[] values) : Condition
    {
        public override bool Matches(JsonElement value) => values.Any(v => Exact.Same(v, value));
    }
}

/// <summary>A filter pattern that cannot be used; the message says what is wrong and how to write it.</summary>
public sealed class FilterPatternException(string message) : Exception(message);
