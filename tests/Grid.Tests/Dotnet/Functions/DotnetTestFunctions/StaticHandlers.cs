using Grid.Functions;

namespace DotnetTestFunctions;

/// <summary>Static handlers: no instance is created.</summary>
public static class StaticHandlers
{
    public static string Greet(string name, IFunctionContext context) => $"hello {name} from {context.FunctionName}";
}
