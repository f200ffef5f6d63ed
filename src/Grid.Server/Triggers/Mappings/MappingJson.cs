using System.Text.Json.Serialization;

namespace Grid.Server.Triggers.Mappings;

/// <summary>Source-generated JSON for the mapping API and the stored settings.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MappingSettings))]
[JsonSerializable(typeof(EventSourceMappingRequest))]
[JsonSerializable(typeof(EventSourceMappingConfiguration))]
[JsonSerializable(typeof(ListEventSourceMappingsResponse))]
internal sealed partial class MappingJson : JsonSerializerContext;
