using System.Text.Json;

namespace Grid.Runtime.Dotnet;

/// <summary>The JSON header of an INVOKE frame, read with the low-level reader (no serializer metadata to build at start).</summary>
internal sealed record InvokeHeader(string RequestId, long DeadlineMs, string InvokedFunctionArn, string? TraceId, string? ClientContext, string? CognitoIdentity)
{
    public static InvokeHeader Parse(ReadOnlySpan<byte> json)
    {
        string requestId = "", arn = "";
        string? traceId = null, clientContext = null, cognito = null;
        long deadline = 0;
        var reader = new Utf8JsonReader(json);
        reader.Read();
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "requestId": requestId = reader.GetString() ?? ""; break;
                case "deadlineMs": deadline = reader.TokenType == JsonTokenType.Number ? reader.GetInt64() : 0; break;
                case "invokedFunctionArn": arn = reader.GetString() ?? ""; break;
                case "traceId": traceId = reader.GetString(); break;
                case "clientContext": clientContext = reader.GetString(); break;
                case "cognitoIdentity": cognito = reader.GetString(); break;
                default: reader.Skip(); break;
            }
        }
        return new InvokeHeader(requestId, deadline, arn, traceId, clientContext, cognito);
    }
}
