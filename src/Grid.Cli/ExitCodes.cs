namespace Grid.Cli;

/// <summary>The process exit codes of `grid` (documented in docs/cli.md); scripts branch on them.</summary>
public static class ExitCodes
{
    /// <summary>The command did what it was asked.</summary>
    public const int Ok = 0;

    /// <summary>`grid invoke`: the function ran and failed (its error type and message are on stderr).</summary>
    public const int FunctionError = 1;

    /// <summary>The command line or the local configuration is wrong (bad flag, missing endpoint, unreadable file).</summary>
    public const int Usage = 2;

    /// <summary>Grid refused or failed the call (not found, authentication, invalid parameter), or could not be reached.</summary>
    public const int GridError = 3;

    /// <summary>Grid throttled the call (429 TooManyRequestsException) even after retries.</summary>
    public const int Throttled = 4;

    /// <summary>Interrupted with Ctrl-C.</summary>
    public const int Interrupted = 130;
}
