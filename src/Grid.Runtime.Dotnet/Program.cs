using Grid.Functions;
using Grid.Runtime.Dotnet;

// Grid's dotnet runtime host: one process per execution environment, one invocation at a time (see
// src/Grid.Server/Execution/Runtimes/README.md for the frame protocol it shares with the python and node bootstraps).
var logs = new LogSink();
logs.CaptureConsole();
var frames = new Frames(logs);
var environment = FunctionEnvironment.FromVariables();
var logger = new FunctionLogger(logs);
AppDomain.CurrentDomain.UnhandledException += (_, e) =>
    logs.Write(FunctionLogLevel.Critical, "Unhandled exception (the environment ends): " + e.ExceptionObject);

FunctionHandler handler;
try
{
    var taskRoot = Environment.GetEnvironmentVariable("LAMBDA_TASK_ROOT") ?? Environment.CurrentDirectory;
    handler = HandlerLoader.Load(Environment.GetEnvironmentVariable("_HANDLER"), taskRoot, environment, logger);
}
catch (Exception e)
{
    e = ErrorJson.Unwrap(e);
    logs.Write(FunctionLogLevel.Error, e is RuntimeFailure failure ? $"{failure.ErrorType}: {failure.Message}" : e.ToString());
    frames.Send(Frames.InitError, ErrorJson.From(e));
    return 1;
}

frames.Send(Frames.Ready, []);
while (frames.ReadInvoke() is { } invoke)
{
    logs.RequestId = invoke.Header.RequestId;
    Environment.SetEnvironmentVariable("_X_AMZN_TRACE_ID", invoke.Header.TraceId);
    var (type, payload) = await handler.InvokeAsync(invoke);
    frames.Send(type, payload);
    logs.RequestId = "";
    // After an OutOfMemoryException the process is in no state to serve again: a fresh environment takes the next invoke.
    if (handler.LastFailureWasOutOfMemory) return 1;
}
return 0;
