namespace Grid.Runtime.Dotnet;

/// <summary>What the host passes for each handler parameter.</summary>
internal enum ParameterKind { Input, Context, CancellationToken }
