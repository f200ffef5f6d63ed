namespace Grid.Functions;

/// <summary>The calling application as the client context describes it ("client": installation_id, app_title, ...).</summary>
public sealed record ClientApplication(
    string? InstallationId, string? AppTitle, string? AppVersionName, string? AppVersionCode, string? AppPackageName);
