namespace Grid.Server.Execution;

/// <summary>
/// Builds a cache directory in a temp directory beside it and renames it into place, so a half-built tree is never
/// used; when another builder got there first, its tree wins and ours is dropped.
/// </summary>
public static class DirectoryPublisher
{
    public static async Task<string> PublishAsync(string path, Func<string, Task> build)
    {
        var temp = path + "." + Guid.NewGuid().ToString("N") + ".tmp";
        try
        {
            await build(temp);
            Directory.Move(temp, path);
        }
        catch (IOException) when (Directory.Exists(path))
        {
        }
        finally
        {
            if (Directory.Exists(temp)) Directory.Delete(temp, recursive: true);
        }
        return path;
    }
}
