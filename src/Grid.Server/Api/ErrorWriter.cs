using System.Text.Json;
using Grid.Server.Model;

namespace Grid.Server.Api;

/// <summary>Renders every error the same way: x-amzn-ErrorType header, JSON body with the model's message casing.</summary>
public static class ErrorWriter
{
    public static async Task WriteAsync(HttpContext context, LambdaException error)
    {
        if (context.Response.HasStarted) return;
        context.Response.Clear();
        context.Response.StatusCode = (int)error.Status;
        context.Response.ContentType = "application/json";
        context.Response.Headers["x-amzn-ErrorType"] = error.ErrorType;
        context.Response.Headers["x-amzn-RequestId"] = Guid.NewGuid().ToString();
        var body = error.Casing switch
        {
            MessageCasing.Upper => new ErrorBody { Type = "User", Message = error.Message, Reason = error.Reason },
            MessageCasing.Lower => new ErrorBody { Type = "User", LowerMessage = error.Message, Reason = error.Reason },
            _ => new ErrorBody { LowerMessage = error.Message },
        };
        if (error.Status >= System.Net.HttpStatusCode.InternalServerError) body.Type = "Service";
        await JsonSerializer.SerializeAsync(context.Response.Body, body, GridJsonContext.Default.ErrorBody);
    }
}
