using System.Reflection;
using System.Runtime.CompilerServices;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// How a handler's return value becomes its result: void, T, Task, Task&lt;T&gt;, ValueTask or ValueTask&lt;T&gt;.
/// Awaiting is done by small generic adapters made once at init, not by reflection per invoke.
/// </summary>
internal sealed class ResultShape
{
    private ResultShape(Type? resultType, Func<object, Task<object?>>? awaiter)
    {
        ResultType = resultType;
        Awaiter = awaiter;
    }

    /// <summary>The type of the value the handler produces, or null when it produces none.</summary>
    public Type? ResultType { get; }

    /// <summary>Awaits the returned task and yields its result; null for synchronous handlers.</summary>
    public Func<object, Task<object?>>? Awaiter { get; }

    public static ResultShape Of(MethodInfo method)
    {
        var type = method.ReturnType;
        if (type == typeof(void))
        {
            if (method.GetCustomAttribute<AsyncStateMachineAttribute>() is not null)
            {
                throw new RuntimeFailure("Runtime.HandlerNotFound",
                    $"The method '{method.Name}' cannot be used as a handler because it is an 'async void' method: return Task instead.");
            }
            return new ResultShape(null, null);
        }
        if (type == typeof(Task)) return new ResultShape(null, AwaitTask);
        if (type == typeof(ValueTask)) return new ResultShape(null, AwaitValueTask);
        if (type.IsGenericType && type.GetGenericTypeDefinition() is var definition && (definition == typeof(Task<>) || definition == typeof(ValueTask<>)))
        {
            var result = type.GetGenericArguments()[0];
            var adapter = typeof(ResultShape).GetMethod(definition == typeof(Task<>) ? nameof(AwaitTaskOf) : nameof(AwaitValueTaskOf), BindingFlags.NonPublic | BindingFlags.Static)!
                .MakeGenericMethod(result);
            return new ResultShape(result, adapter.CreateDelegate<Func<object, Task<object?>>>());
        }
        return new ResultShape(type, null);
    }

    private static async Task<object?> AwaitTask(object task)
    {
        await (Task)task;
        return null;
    }

    private static async Task<object?> AwaitValueTask(object task)
    {
        await (ValueTask)task;
        return null;
    }

    private static async Task<object?> AwaitTaskOf<T>(object task) => await (Task<T>)task;

    private static async Task<object?> AwaitValueTaskOf<T>(object task) => await (ValueTask<T>)task;
}
