using System.Text.Json.Serialization;

namespace Grid.Functions;

/// <summary>
/// Names the source-generated <see cref="JsonSerializerContext"/> the host uses for the handler's input and output:
/// <c>[assembly: GridSerializer(typeof(MyJsonContext))]</c>. The context must list both types with
/// <c>[JsonSerializable(typeof(...))]</c>. Without the attribute the host serializes by reflection.
/// Either way property names are read case-insensitively (as Lambda's .NET serializer does).
/// </summary>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = false)]
public sealed class GridSerializerAttribute : Attribute
{
    public GridSerializerAttribute(Type contextType) => ContextType = contextType;

    /// <summary>A type deriving from <see cref="JsonSerializerContext"/> (with a static <c>Default</c> or a parameterless constructor).</summary>
    public Type ContextType { get; }
}
