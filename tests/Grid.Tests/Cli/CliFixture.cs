using Grid.Tests.Infrastructure;

namespace Grid.Tests.Cli;

/// <summary>An embedded node plus a `grid` config file whose default profile was written by `grid configure` for it.</summary>
public sealed class CliFixture : EmbeddedNodeFixture
{
    public GridCli Grid { get; private set; } = null!;

    public override async Task InitializeAsync()
    {
        await base.InitializeAsync();
        Grid = new GridCli(Path.Combine(Root, "grid-config"));
        var configure = await Grid.RunAsync("configure", "--endpoint", Node.Endpoint, "--access-key-id", Main.AccessKeyId,
            "--secret-access-key", Main.SecretAccessKey, "--region", "us-east-1");
        if (configure.ExitCode != 0) throw new InvalidOperationException(configure.ToString());
    }

    private Lazy<Task<ProcessResult>>? _helloPython;

    /// <summary>samples/hello-python deployed once (from its grid.json) through `grid deploy`; tests that invoke it share it.</summary>
    public Task<ProcessResult> HelloPythonAsync() =>
        (_helloPython ??= new Lazy<Task<ProcessResult>>(() => Grid.RunAsync("deploy", Sample("hello-python")))).Value;

    /// <summary>A copy of a folder under the fixture's root (tests may add or change files in it).</summary>
    public string CopyFolder(string source, params string[] skip)
    {
        var target = Path.Combine(Root, "src-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(source))
        {
            if (!skip.Contains(Path.GetFileName(file))) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        }
        return target;
    }

    public static string Sample(string name) => Path.Combine(RepoPaths.Root, "samples", name);
}
