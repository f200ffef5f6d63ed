namespace Grid.Client;

/// <summary>
/// What <see cref="IGridClient.DeployAsync"/> deploys: a function's code (a zip file, or a directory zipped on the fly) and,
/// optionally, its configuration. Null settings keep the function's current value (or the Lambda default on create).
/// </summary>
public sealed class DeployRequest
{
    public string FunctionName { get; set; } = "";

    /// <summary>Path of a ready .zip package. Set this or <see cref="Directory"/>.</summary>
    public string? ZipFile { get; set; }

    /// <summary>A directory whose files are zipped (deterministically, executable bits kept); nothing is built.</summary>
    public string? Directory { get; set; }

    /// <summary>e.g. python3.12, nodejs20.x, provided.al2023. Required to create a function.</summary>
    public string? Runtime { get; set; }

    /// <summary>e.g. app.handler. Required to create a function.</summary>
    public string? Handler { get; set; }

    public int? MemorySize { get; set; }

    /// <summary>Function timeout in seconds.</summary>
    public int? Timeout { get; set; }

    public IDictionary<string, string>? Environment { get; set; }

    public string? Description { get; set; }

    /// <summary>Publish a version once code and configuration are in place.</summary>
    public bool Publish { get; set; }

    public string Role { get; set; } = DefaultRole;

    internal const string DefaultRole = "arn:aws:iam::000000000000:role/grid";
}
