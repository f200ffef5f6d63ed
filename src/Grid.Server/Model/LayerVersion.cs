namespace Grid.Server.Model;

/// <summary>Lambda's layer version (PublishLayerVersion / GetLayerVersion response); stored without Content.Location.</summary>
public sealed class LayerVersion
{
    public LayerVersionContent Content { get; set; } = new();
    public string LayerArn { get; set; } = "";
    public string LayerVersionArn { get; set; } = "";
    public string Description { get; set; } = "";
    public string CreatedDate { get; set; } = "";
    public long Version { get; set; }
    public List<string>? CompatibleRuntimes { get; set; }
    public string? LicenseInfo { get; set; }
    public List<string>? CompatibleArchitectures { get; set; }
}

public sealed class LayerVersionContent
{
    public string? Location { get; set; }
    public string CodeSha256 { get; set; } = "";
    public long CodeSize { get; set; }
}

/// <summary>An entry of ListLayerVersions and the LatestMatchingVersion of ListLayers (no Content).</summary>
public sealed class LayerVersionsListItem
{
    public string LayerVersionArn { get; set; } = "";
    public long Version { get; set; }
    public string Description { get; set; } = "";
    public string CreatedDate { get; set; } = "";
    public List<string>? CompatibleRuntimes { get; set; }
    public string? LicenseInfo { get; set; }
    public List<string>? CompatibleArchitectures { get; set; }

    public static LayerVersionsListItem From(LayerVersion v) => new()
    {
        LayerVersionArn = v.LayerVersionArn, Version = v.Version, Description = v.Description, CreatedDate = v.CreatedDate,
        CompatibleRuntimes = v.CompatibleRuntimes, LicenseInfo = v.LicenseInfo, CompatibleArchitectures = v.CompatibleArchitectures,
    };
}

public sealed class LayersListItem
{
    public string LayerName { get; set; } = "";
    public string LayerArn { get; set; } = "";
    public LayerVersionsListItem LatestMatchingVersion { get; set; } = new();
}

public sealed class ListLayersResponse
{
    public List<LayersListItem> Layers { get; set; } = [];
    public string? NextMarker { get; set; }
}

public sealed class ListLayerVersionsResponse
{
    public List<LayerVersionsListItem> LayerVersions { get; set; } = [];
    public string? NextMarker { get; set; }
}
