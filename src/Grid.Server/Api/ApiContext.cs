using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Grid.Server.Api.Auth;

namespace Grid.Server.Api;

/// <summary>What the front door established about a request before it reached an endpoint: caller and body.</summary>
public static class ApiContext
{
    private static readonly object CallerKey = new();
    private static readonly object BodyKey = new();

    public static void SetCaller(this HttpContext context, AccessKey key) => context.Items[CallerKey] = key;

    public static AccessKey Caller(this HttpContext context) =>
        context.Items[CallerKey] as AccessKey ?? throw Errors.MissingAuthentication();

    public static void SetBody(this HttpContext context, byte[] body) => context.Items[BodyKey] = body;

    public static byte[] Body(this HttpContext context) => context.Items[BodyKey] as byte[] ?? [];

    /// <summary>Parses the JSON body; malformed JSON is a Lambda-shaped 400, never a 500.</summary>
    public static T ReadJson<T>(this HttpContext context, JsonTypeInfo<T> type) where T : new()
    {
        var body = context.Body();
        if (body.Length == 0) return new T();
        try
        {
            return JsonSerializer.Deserialize(body, type) ?? new T();
        }
        catch (JsonException e)
        {
            throw new LambdaException(System.Net.HttpStatusCode.BadRequest, "InvalidRequestContentException",
                $"Could not parse request body into json: {e.Message}", MessageCasing.Lower);
        }
    }

    public static IResult Json<T>(T value, JsonTypeInfo<T> type, int status = 200) => TypedResults.Json(value, type, statusCode: status);
}
