namespace DotnetTestFunctions;

/// <summary>Its constructor fails: init fails with the constructor's exception.</summary>
public sealed class FailingConstructor
{
    public FailingConstructor() => throw new FormatException("constructor failed on purpose");

    public string Handle(string input) => input;
}
