using System.Text;
using System.Text.Json.Nodes;
using Grid.Functions;

namespace DotnetTestFunctions;

/// <summary>Instance handlers: Grid creates this class once per environment.</summary>
public sealed class Handlers
{
    private readonly Guid _instance = Guid.NewGuid();
    private int _calls;

    /// <summary>Typed input and output, reflection-serialized (case-insensitive input, exact names, nulls omitted).</summary>
    public Receipt Order(Order order) => new() { Item = order.Item, Total = order.Quantity * order.Price };

    /// <summary>The context as JSON, plus which instance of this class served the call.</summary>
    public JsonObject Context(JsonObject input, IFunctionContext context)
    {
        _calls++;
        context.Logger.LogInformation("context asked");
        Console.WriteLine("console line from the handler");
        Console.Error.WriteLine("stderr line from the handler");
        return new JsonObject
        {
            ["requestId"] = context.RequestId,
            ["functionName"] = context.FunctionName,
            ["functionVersion"] = context.FunctionVersion,
            ["invokedFunctionArn"] = context.InvokedFunctionArn,
            ["memoryLimitInMB"] = context.MemoryLimitInMB,
            ["remainingMs"] = (long)context.RemainingTime.TotalMilliseconds,
            ["deadlineMs"] = context.Deadline.ToUnixTimeMilliseconds(),
            ["logGroupName"] = context.LogGroupName,
            ["logStreamName"] = context.LogStreamName,
            ["traceId"] = context.TraceId,
            ["tenant"] = context.ClientContext?.Custom.GetValueOrDefault("tenant"),
            ["instance"] = _instance.ToString(),
            ["calls"] = _calls,
        };
    }

    /// <summary>The values of the environment variables named in the input.</summary>
    public Dictionary<string, string?> Environment(string[] names) =>
        names.ToDictionary(n => n, System.Environment.GetEnvironmentVariable);

    public async Task<string> Async(JsonObject input, CancellationToken cancellation)
    {
        await Task.Delay(10, cancellation);
        await Task.Yield();
        return "async " + (string?)input["name"];
    }

    public async ValueTask<int> ValueTaskOfInt(int number)
    {
        await Task.Yield();
        return number * 2;
    }

    public async Task NoResult(IFunctionContext context)
    {
        await Task.Yield();
        context.Logger.LogWarning("returned nothing");
    }

    /// <summary>Raw bytes in and out: the event is not parsed, the stream is the response.</summary>
    public Stream Stream(Stream input)
    {
        using var reader = new StreamReader(input, Encoding.UTF8);
        var text = reader.ReadToEnd();
        return new MemoryStream(Encoding.UTF8.GetBytes($"{{\"length\":{text.Length}}}"));
    }

    public void Fail(JsonObject input) =>
        throw new InvalidOperationException("handler failed on purpose", new ArgumentException("the inner cause"));

    /// <summary>Waits for the context's token, which fires shortly before the deadline.</summary>
    public async Task<long> UntilCancelled(IFunctionContext context)
    {
        try
        {
            await Task.Delay(Timeout.Infinite, context.CancellationToken);
        }
        catch (OperationCanceledException)
        {
        }
        return (long)context.RemainingTime.TotalMilliseconds;
    }

    public void Sleep(int milliseconds) => Thread.Sleep(milliseconds);

    /// <summary>Keeps allocating until the memory limit stops it.</summary>
    public int Hog()
    {
        var hoard = new List<byte[]>();
        while (true)
        {
            var block = new byte[1 << 20];
            Array.Fill(block, (byte)1);
            hoard.Add(block);
        }
    }

    public int Overloaded(int x) => x;

    public int Overloaded(string x) => x.Length;
}
