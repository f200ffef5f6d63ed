namespace Grid.Cli;

/// <summary>A mistake on the command line or in the local configuration: exit code 2 with one line saying what to do.</summary>
public sealed class UsageException : Exception
{
    public UsageException(string message)
        : base(message)
    {
    }

    public UsageException()
    {
    }

    public UsageException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
