namespace Grid.Runtime.Dotnet;

/// <summary>Lambda's .NET handler string: <c>Assembly::Namespace.Type::Method</c>.</summary>
internal sealed record HandlerName(string Assembly, string Type, string Method)
{
    private const string Format = "The valid format is 'ASSEMBLY::TYPE::METHOD'.";

    public static HandlerName Parse(string? handler)
    {
        if (string.IsNullOrWhiteSpace(handler)) throw Malformed($"Empty lambda function handler. {Format}");
        var parts = handler.Split("::");
        if (parts.Length != 3) throw Malformed($"Invalid lambda function handler: '{handler}'. {Format}");
        if (parts[0].Length == 0) throw Malformed($"Invalid lambda function handler: '{handler}', the assembly is missing. {Format}");
        if (parts[1].Length == 0) throw Malformed($"Invalid lambda function handler: '{handler}', the type is missing. {Format}");
        if (parts[2].Length == 0) throw Malformed($"Invalid lambda function handler: '{handler}', the method is missing. {Format}");
        return new HandlerName(parts[0], parts[1], parts[2]);
    }

    public override string ToString() => $"{Assembly}::{Type}::{Method}";

    private static RuntimeFailure Malformed(string message) => new("Runtime.MalformedHandlerName", message);
}
