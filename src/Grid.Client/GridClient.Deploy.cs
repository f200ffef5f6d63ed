using System.Buffers;
using System.Security.Cryptography;
using System.Text.Json;
using Grid.Client.Internal;

namespace Grid.Client;

/// <summary>Deploy: package, create-or-update, wait until the node serves the new code, optionally publish.</summary>
public sealed partial class GridClient
{
    private static readonly TimeSpan UpdateVisibleWithin = TimeSpan.FromSeconds(60);

    public async Task<FunctionInfo> DeployAsync(DeployRequest request, IProgress<DeployProgress>? progress = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(request);
        var name = RequireName(request.FunctionName);
        var zip = await PackageAsync(request, progress, cancellationToken);
        var codeSha256 = Convert.ToBase64String(SHA256.HashData(zip));

        FunctionInfo? existing;
        try
        {
            existing = await GetConfigurationAsync(name, cancellationToken);
        }
        catch (GridNotFoundException)
        {
            existing = null;
        }

        if (existing is null)
        {
            if (request.Runtime is null || request.Handler is null)
            {
                throw new ArgumentException(
                    $"Function '{name}' does not exist yet, so DeployRequest.Runtime and Handler are required to create it (e.g. python3.12 and app.handler).",
                    nameof(request));
            }
            await SendJsonAsync(Upload(HttpMethod.Post, "/2015-03-31/functions", $"CreateFunction '{name}'", name, CreateBody(request, zip), progress),
                WireJson.Default.FunctionConfigurationDto, c => c, cancellationToken);
            progress?.Report(new DeployProgress("configuring", 0, 0));
        }
        else
        {
            await SendJsonAsync(Upload(HttpMethod.Put, FunctionPath(name) + "/code", $"UpdateFunctionCode of '{name}'", name, CodeBody(zip), progress),
                WireJson.Default.FunctionConfigurationDto, c => c, cancellationToken);
            progress?.Report(new DeployProgress("configuring", 0, 0));
            // Code first, then configuration, each confirmed before the next (as Lambda requires: one update at a time).
            await WaitUntilUpdatedAsync(name, codeSha256, cancellationToken);
            var configuration = ConfigurationChange(request);
            if (!configuration.IsEmpty)
            {
                await SendJsonAsync(new ApiCall(HttpMethod.Put, FunctionPath(name) + "/configuration", $"UpdateFunctionConfiguration of '{name}'")
                    {
                        Function = name,
                        Body = JsonSerializer.SerializeToUtf8Bytes(configuration, WireJson.Default.UpdateConfigurationRequestDto),
                    },
                    WireJson.Default.FunctionConfigurationDto, c => c, cancellationToken);
            }
        }
        var deployed = await WaitUntilUpdatedAsync(name, codeSha256, cancellationToken);
        if (request.Publish)
        {
            progress?.Report(new DeployProgress("publishing", 0, 0));
            deployed = await PublishVersionAsync(name, request.Description, cancellationToken);
        }
        progress?.Report(new DeployProgress("done", zip.Length, zip.Length));
        return deployed;
    }

    private static async Task<byte[]> PackageAsync(DeployRequest request, IProgress<DeployProgress>? progress, CancellationToken cancellationToken)
    {
        if ((request.ZipFile is null) == (request.Directory is null))
        {
            throw new ArgumentException("Set exactly one of DeployRequest.ZipFile (a .zip package) and DeployRequest.Directory (a folder to zip).", nameof(request));
        }
        if (request.Directory is { } directory) return await FunctionPackager.ZipAsync(directory, progress, cancellationToken);
        if (!File.Exists(request.ZipFile))
        {
            throw new FileNotFoundException($"The package '{request.ZipFile}' does not exist: build the .zip first or deploy a directory instead.", request.ZipFile);
        }
        return await File.ReadAllBytesAsync(request.ZipFile!, cancellationToken);
    }

    private static ApiCall Upload(HttpMethod method, string path, string operation, string function, ReadOnlyMemory<byte> body, IProgress<DeployProgress>? progress) =>
        new(method, path, operation)
        {
            Function = function,
            Body = body,
            ContentFactory = progress is null ? null : b => new ProgressContent(b, progress, "uploading"),
        };

    /// <summary>CreateFunction's JSON, written straight to UTF-8 with the zip base64-encoded in place (no intermediate string).</summary>
    private static ReadOnlyMemory<byte> CreateBody(DeployRequest request, byte[] zip) => WriteJson(zip.Length, w =>
    {
        w.WriteString("FunctionName", request.FunctionName);
        w.WriteString("Runtime", request.Runtime);
        w.WriteString("Handler", request.Handler);
        w.WriteString("Role", request.Role);
        if (request.MemorySize is { } memory) w.WriteNumber("MemorySize", memory);
        if (request.Timeout is { } timeout) w.WriteNumber("Timeout", timeout);
        if (request.Description is { } description) w.WriteString("Description", description);
        if (request.Environment is { } environment)
        {
            w.WriteStartObject("Environment");
            w.WriteStartObject("Variables");
            foreach (var (key, value) in environment) w.WriteString(key, value);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        w.WriteStartObject("Code");
        w.WriteBase64String("ZipFile", zip);
        w.WriteEndObject();
    });

    private static ReadOnlyMemory<byte> CodeBody(byte[] zip) => WriteJson(zip.Length, w => w.WriteBase64String("ZipFile", zip));

    private static ReadOnlyMemory<byte> WriteJson(int zipLength, Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(zipLength / 3 * 4 + 4096);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return buffer.WrittenMemory;
    }

    /// <summary>Only what the request sets; the default role is not pushed onto an existing function.</summary>
    private static UpdateConfigurationRequestDto ConfigurationChange(DeployRequest request) => new()
    {
        Runtime = request.Runtime,
        Handler = request.Handler,
        MemorySize = request.MemorySize,
        Timeout = request.Timeout,
        Description = request.Description,
        Role = request.Role == DeployRequest.DefaultRole ? null : request.Role,
        Environment = request.Environment is null ? null : new EnvironmentDto { Variables = new Dictionary<string, string>(request.Environment) },
    };

    /// <summary>Polls the configuration until the node reports the new code and no update in progress (LastUpdateStatus, State).</summary>
    private async Task<FunctionInfo> WaitUntilUpdatedAsync(string name, string codeSha256, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + UpdateVisibleWithin;
        var delay = TimeSpan.FromMilliseconds(100);
        while (true)
        {
            var current = await GetConfigurationAsync(name, cancellationToken);
            if (current.LastUpdateStatus == "Failed" || current.State == "Failed")
            {
                throw new GridException($"Deploy of '{name}' failed on the node (State {current.State}, LastUpdateStatus Failed): check the package and the node's log.",
                    200, "UpdateFailed", null);
            }
            if (current.CodeSha256 == codeSha256 && current.LastUpdateStatus is null or "Successful" && current.State is null or "Active" or "Inactive")
            {
                return current;
            }
            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Deploy of '{name}': the node did not report the new code as active within {UpdateVisibleWithin} " +
                    $"(CodeSha256 {current.CodeSha256}, State {current.State}, LastUpdateStatus {current.LastUpdateStatus}). Check the node, then deploy again.");
            }
            await Task.Delay(delay, cancellationToken);
            delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, TimeSpan.FromSeconds(1).Ticks));
        }
    }
}
