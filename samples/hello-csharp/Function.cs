using System.Text.Json.Serialization;
using Grid.Functions;

// The host serializes input and output with this source-generated context (no reflection at cold start).
[assembly: GridSerializer(typeof(Hello.HelloJsonContext))]

namespace Hello;

public sealed record Greeting(string Name, int Times = 1);

public sealed record Reply(string Message, string RequestId, string FunctionName, int MemoryLimitInMB, long RemainingMs);

[JsonSerializable(typeof(Greeting))]
[JsonSerializable(typeof(Reply))]
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase)]
public sealed partial class HelloJsonContext : JsonSerializerContext;

/// <summary>Handler: <c>Hello::Hello.Function::Handle</c>. Grid creates this class once per environment.</summary>
public sealed class Function
{
    private readonly string _greeting = Environment.GetEnvironmentVariable("GREETING") ?? "Hello";
    private int _invocations;

    public async Task<Reply> Handle(Greeting input, IFunctionContext context)
    {
        _invocations++;
        context.Logger.LogInformation($"greeting {input.Name} (invocation {_invocations} of this environment)");
        Console.WriteLine($"Console output lands in the log too");
        await Task.Delay(1, context.CancellationToken);
        var message = string.Join(" ", Enumerable.Repeat($"{_greeting}, {input.Name}!", Math.Max(1, input.Times)));
        return new Reply(message, context.RequestId, context.FunctionName, context.MemoryLimitInMB, (long)context.RemainingTime.TotalMilliseconds);
    }
}
