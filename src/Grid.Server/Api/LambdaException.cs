using System.Net;

namespace Grid.Server.Api;

/// <summary>An error answered in Lambda's shape: <c>x-amzn-ErrorType</c> header plus a JSON body.</summary>
public sealed class LambdaException(HttpStatusCode status, string errorType, string message, MessageCasing casing, string? reason = null)
    : Exception(message)
{
    public HttpStatusCode Status { get; } = status;
    public string ErrorType { get; } = errorType;
    public MessageCasing Casing { get; } = casing;
    public string? Reason { get; } = reason;
}

/// <summary>The Lambda model spells the message member "Message" on some errors and "message" on others.</summary>
public enum MessageCasing { Upper, Lower, LowerNoType }

/// <summary>Every error Grid returns, named once so each has one text.</summary>
public static class Errors
{
    public static LambdaException FunctionNotFound(string arn) =>
        new(HttpStatusCode.NotFound, "ResourceNotFoundException", $"Function not found: {arn}", MessageCasing.Upper);

    public static LambdaException ResourceNotFound(string message) =>
        new(HttpStatusCode.NotFound, "ResourceNotFoundException", message, MessageCasing.Upper);

    public static LambdaException FunctionExists(string name) =>
        new(HttpStatusCode.Conflict, "ResourceConflictException", $"Function already exist: {name}", MessageCasing.Lower);

    public static LambdaException InvalidParameter(string message) =>
        new(HttpStatusCode.BadRequest, "InvalidParameterValueException", message, MessageCasing.Lower);

    public static LambdaException Validation(string value, string field, string constraint) =>
        new(HttpStatusCode.BadRequest, "ValidationException",
            $"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: {constraint}", MessageCasing.LowerNoType);

    public static LambdaException InvalidRequestContent(string detail) =>
        new(HttpStatusCode.BadRequest, "InvalidRequestContentException",
            $"Could not parse request body into json: Could not parse payload into json: {detail}", MessageCasing.Lower);

    public static LambdaException RequestTooLarge(string message) =>
        new(HttpStatusCode.RequestEntityTooLarge, "RequestEntityTooLargeException", message, MessageCasing.Lower);

    public static LambdaException PreconditionFailed() =>
        new(HttpStatusCode.PreconditionFailed, "PreconditionFailedException",
            "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
            MessageCasing.Lower);

    public static LambdaException UnrecognizedClient() =>
        new(HttpStatusCode.Forbidden, "UnrecognizedClientException", "The security token included in the request is invalid.", MessageCasing.LowerNoType);

    public static LambdaException InvalidSignature(string message) =>
        new(HttpStatusCode.Forbidden, "InvalidSignatureException", message, MessageCasing.LowerNoType);

    public static LambdaException MissingAuthentication() =>
        new(HttpStatusCode.Forbidden, "MissingAuthenticationTokenException", "Missing Authentication Token", MessageCasing.LowerNoType);

    public static LambdaException UnknownOperation() =>
        new(HttpStatusCode.NotFound, "UnknownOperationException", "Unknown operation: no Lambda API matches this method and path.", MessageCasing.Upper);

    public static LambdaException Service(string message) =>
        new(HttpStatusCode.InternalServerError, "ServiceException", message, MessageCasing.Upper);

    /// <summary>503 for a request that reached a draining node: it did not run, so any client may retry it (on another node).</summary>
    public static LambdaException NodeDraining() =>
        new(HttpStatusCode.ServiceUnavailable, "ServiceException", "This Grid node is shutting down and takes no new requests; retry, and it goes to another node.",
            MessageCasing.Upper);

    public static LambdaException TooManyRequests(string reason) =>
        new(HttpStatusCode.TooManyRequests, "TooManyRequestsException", "Rate Exceeded.", MessageCasing.Lower, reason);
}
