using System.Reflection;
using Grid.Functions;

namespace Grid.Runtime.Dotnet;

/// <summary>
/// Init: finds the handler named by <c>_HANDLER</c> in the task root, checks its signature once and creates its
/// type (instance methods) with the parameterless constructor. Failures carry Lambda's init error types.
/// </summary>
internal static class HandlerLoader
{
    public static FunctionHandler Load(string? handlerText, string taskRoot, FunctionEnvironment environment, IFunctionLogger logger)
    {
        var name = HandlerName.Parse(handlerText);
        var assembly = LoadAssembly(name, taskRoot);
        var type = LoadType(name, assembly);
        var method = FindMethod(name, type);
        // Plain loops, not LINQ, on the init path: every generic instantiation the JIT has to compile is cold-start time.
        var declared = method.GetParameters();
        var parameters = new ParameterKind[declared.Length];
        Type? inputType = null;
        for (var i = 0; i < declared.Length; i++)
        {
            parameters[i] = Classify(method, declared[i]);
            if (parameters[i] != ParameterKind.Input) continue;
            if (inputType is not null)
            {
                throw new RuntimeFailure("Runtime.HandlerNotFound",
                    $"Method '{method.Name}' of type '{type.FullName}' is not supported: it takes more than one input parameter (besides the input it may take an IFunctionContext and a CancellationToken).");
            }
            inputType = declared[i].ParameterType;
        }
        var result = ResultShape.Of(method);
        var serializer = PayloadSerializer.For(assembly);
        var target = method.IsStatic ? null : CreateInstance(type, method);
        return new FunctionHandler(method, target, parameters,
            Payload.For(inputType, serializer), Payload.For(result.ResultType, serializer), result.Awaiter, environment, logger);
    }

    private static Assembly LoadAssembly(HandlerName name, string taskRoot)
    {
        var path = Path.Combine(taskRoot, name.Assembly + ".dll");
        if (!File.Exists(path))
        {
            throw new RuntimeFailure("Runtime.ImportModuleError",
                $"Could not find the specified handler assembly with the file name '{name.Assembly}'. The assembly should be located in the root of your uploaded .zip file (publish the project with 'dotnet publish' and zip the publish folder's contents).");
        }
        try
        {
            return new FunctionLoadContext(path).LoadFromAssemblyPath(path);
        }
        catch (Exception e) when (e is BadImageFormatException or FileLoadException)
        {
            throw new RuntimeFailure("Runtime.ImportModuleError", $"Unable to load assembly '{name.Assembly}': {e.Message}", e);
        }
    }

    private static Type LoadType(HandlerName name, Assembly assembly)
    {
        Type? type;
        try
        {
            type = assembly.GetType(name.Type);
        }
        catch (Exception e) when (e is TypeLoadException or FileNotFoundException or FileLoadException or BadImageFormatException)
        {
            throw new RuntimeFailure("Runtime.ImportModuleError", $"Unable to load type '{name.Type}' from assembly '{name.Assembly}': {e.Message}", e);
        }
        if (type is null)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"Unable to load type '{name.Type}' from assembly '{name.Assembly}'. The type part of the handler is the full name (Namespace.Type).");
        }
        if (type.IsGenericTypeDefinition)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound", $"The type '{type.FullName}' cannot be used as a handler type because it is generic.");
        }
        return type;
    }

    private static MethodInfo FindMethod(HandlerName name, Type type)
    {
        var candidates = (MethodInfo[])type.GetMember(name.Method, MemberTypes.Method,
            BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.FlattenHierarchy);
        if (candidates.Length == 0)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"Unable to find method '{name.Method}' in type '{name.Type}' from assembly '{name.Assembly}': Found no methods matching method name '{name.Method}'.");
        }
        if (candidates.Length > 1)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"The method '{name.Method}' in type '{name.Type}' has {candidates.Length} overloads; give the handler method a unique name. Candidates: {string.Join("; ", (object[])candidates)}.");
        }
        var method = candidates[0];
        if (method.IsGenericMethodDefinition)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound", $"The method '{method.Name}' cannot be used as a handler because it is a generic method.");
        }
        if (!method.IsStatic && type.IsAbstract)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"The instance method '{method.Name}' cannot be used as a handler because its type '{type.FullName}' is abstract. Use a static method or a concrete type.");
        }
        return method;
    }

    private static ParameterKind Classify(MethodInfo method, ParameterInfo parameter)
    {
        var type = parameter.ParameterType;
        if (type.IsByRef)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound", $"The method '{method.Name}' cannot be used as a handler: parameter '{parameter.Name}' is ref/out.");
        }
        if (type == typeof(IFunctionContext)) return ParameterKind.Context;
        if (type == typeof(CancellationToken)) return ParameterKind.CancellationToken;
        if (type.Name == "ILambdaContext")
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"The method '{method.Name}' takes Amazon.Lambda.Core's ILambdaContext; on Grid take Grid.Functions.IFunctionContext (same fields) instead.");
        }
        return ParameterKind.Input;
    }

    private static object CreateInstance(Type type, MethodInfo method)
    {
        if (type.IsClass && type.GetConstructor(Type.EmptyTypes) is null)
        {
            throw new RuntimeFailure("Runtime.HandlerNotFound",
                $"The type '{type.FullName}' has no public parameterless constructor, which Grid uses to create it once per environment. Add one, or make '{method.Name}' static.");
        }
        // A throwing constructor surfaces as its own exception (type and message), as on Lambda.
        return Activator.CreateInstance(type)!;
    }
}
