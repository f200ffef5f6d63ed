namespace Grid.Functions;

/// <summary>The Amazon Cognito identity a caller passed with the invoke.</summary>
public sealed record CognitoIdentity(string? IdentityId, string? IdentityPoolId);
