using System.Text.Json.Serialization;

namespace Grid.Server.Model;

/// <summary>Source-generated JSON for every wire and stored shape: PascalCase as Lambda, nulls omitted.</summary>
[JsonSourceGenerationOptions(DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(FunctionConfiguration))]
[JsonSerializable(typeof(CreateFunctionRequest))]
[JsonSerializable(typeof(UpdateFunctionCodeRequest))]
[JsonSerializable(typeof(UpdateFunctionConfigurationRequest))]
[JsonSerializable(typeof(TagResourceRequest))]
[JsonSerializable(typeof(GetFunctionResponse))]
[JsonSerializable(typeof(ListFunctionsResponse))]
[JsonSerializable(typeof(ListTagsResponse))]
[JsonSerializable(typeof(AccountSettingsResponse))]
[JsonSerializable(typeof(ErrorBody))]
[JsonSerializable(typeof(Dictionary<string, string>))]
[JsonSerializable(typeof(PublishVersionRequest))]
[JsonSerializable(typeof(AliasRequest))]
[JsonSerializable(typeof(AliasConfiguration))]
[JsonSerializable(typeof(ListVersionsByFunctionResponse))]
[JsonSerializable(typeof(ListAliasesResponse))]
[JsonSerializable(typeof(PublishLayerVersionRequest))]
[JsonSerializable(typeof(LayerVersion))]
[JsonSerializable(typeof(ListLayersResponse))]
[JsonSerializable(typeof(ListLayerVersionsResponse))]
[JsonSerializable(typeof(List<string>))]
[JsonSerializable(typeof(FunctionEventInvokeConfig))]
[JsonSerializable(typeof(EventInvokeConfigRequest))]
[JsonSerializable(typeof(ListFunctionEventInvokeConfigsResponse))]
public sealed partial class GridJsonContext : JsonSerializerContext;
