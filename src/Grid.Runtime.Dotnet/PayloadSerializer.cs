using System.Reflection;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// JSON for handler input and output. With <c>[assembly: GridSerializer(typeof(Ctx))]</c> the function's
/// source-generated context supplies the metadata (its own options: naming, converters); without it, reflection with
/// the options of Lambda's default .NET serializer. Either way names are read case-insensitively and property
/// names are never renamed unless the function says so.
/// </summary>
internal sealed class PayloadSerializer
{
    private readonly JsonSerializerOptions _options;
    private readonly string _source;

    private PayloadSerializer(JsonSerializerOptions options, string source)
    {
        _options = options;
        _source = source;
    }

    public static PayloadSerializer For(Assembly function)
    {
        if (function.GetCustomAttribute<GridSerializerAttribute>() is not { } attribute)
        {
            return new PayloadSerializer(new JsonSerializerOptions
            {
                PropertyNameCaseInsensitive = true,
                DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
                TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            }, "reflection");
        }
        var context = CreateContext(attribute.ContextType);
        return new PayloadSerializer(new JsonSerializerOptions(context.Options) { PropertyNameCaseInsensitive = true, TypeInfoResolver = context },
            attribute.ContextType.FullName!);
    }

    /// <summary>The metadata for a handler's input or output type; a context that lacks it fails init with what to add.</summary>
    public JsonTypeInfo TypeInfo(Type type)
    {
        try
        {
            return _options.GetTypeInfo(type);
        }
        catch (NotSupportedException e)
        {
            throw new RuntimeFailure("Runtime.SerializerError",
                $"The serializer {_source} cannot handle type '{type.FullName}': {e.Message} Add [JsonSerializable(typeof({type.Name}))] to the context.", e);
        }
    }

    private static JsonSerializerContext CreateContext(Type type)
    {
        if (!typeof(JsonSerializerContext).IsAssignableFrom(type))
        {
            throw new RuntimeFailure("Runtime.SerializerError",
                $"GridSerializer names '{type.FullName}', which is not a JsonSerializerContext. Name a class declared as 'partial class X : JsonSerializerContext' with [JsonSerializable] attributes.");
        }
        if (type.GetProperty("Default", BindingFlags.Public | BindingFlags.Static)?.GetValue(null) is JsonSerializerContext generated) return generated;
        return (JsonSerializerContext)(Activator.CreateInstance(type)
            ?? throw new RuntimeFailure("Runtime.SerializerError", $"Cannot create the serializer context '{type.FullName}'."));
    }
}
