using System.Reflection;
using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>A loaded handler: calls the method with the arguments its signature asks for and turns the outcome into a reply frame.</summary>
internal sealed class FunctionHandler(
    MethodInfo method, object? target, ParameterKind[] parameters, Payload input, Payload output,
    Func<object, Task<object?>>? awaiter, FunctionEnvironment environment, IFunctionLogger logger)
{
    /// <summary>True when the last invocation ended with an OutOfMemoryException (its GC heap limit).</summary>
    public bool LastFailureWasOutOfMemory { get; private set; }

    /// <summary>Runs one invocation; a handler exception becomes an ERROR reply, never an exception out of here.</summary>
    public async Task<(byte Type, byte[] Payload)> InvokeAsync(InvokeFrame invoke)
    {
        using var context = new FunctionContext(invoke.Header, environment, logger);
        LastFailureWasOutOfMemory = false;
        try
        {
            var arguments = new object?[parameters.Length];
            for (var i = 0; i < parameters.Length; i++)
            {
                arguments[i] = parameters[i] switch
                {
                    ParameterKind.Context => context,
                    ParameterKind.CancellationToken => context.CancellationToken,
                    _ => input.Read(invoke.Event.IsEmpty ? "{}"u8.ToArray() : invoke.Event),
                };
            }
            var returned = method.Invoke(target, BindingFlags.DoNotWrapExceptions, binder: null, arguments, culture: null);
            var result = awaiter is null ? returned
                : returned is null ? throw new InvalidOperationException($"The handler '{method.Name}' returned a null task.")
                : await awaiter(returned);
            return (Frames.Response, output.Write(result));
        }
        catch (Exception e)
        {
            e = ErrorJson.Unwrap(e);
            LastFailureWasOutOfMemory = e is OutOfMemoryException;
            logger.Log(FunctionLogLevel.Error, e is RuntimeFailure failure ? $"{failure.ErrorType}: {failure.Message}" : e.ToString());
            return (Frames.Error, ErrorJson.From(e));
        }
    }
}
