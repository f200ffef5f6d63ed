using System.Security.Cryptography;
using System.Text;
using Grid.Server.Api;
using Grid.Server.Hosting;

namespace Grid.Server.Storage;

/// <summary>
/// Encrypts functions' environment variables before they reach the database (AES-256-GCM, a fresh nonce per write,
/// the row's identity as associated data so a value cannot be moved to another function). The current key encrypts;
/// retired keys only decrypt, which is how a key is rotated (see docs/operations.md).
/// </summary>
public sealed class EnvironmentCipher
{
    private const string Prefix = "v1:";
    public const int KeyBytes = 32;

    private readonly byte[] _current;
    private readonly string _currentId;
    private readonly Dictionary<string, byte[]> _keys = new(StringComparer.Ordinal);

    public EnvironmentCipher(byte[] current, IEnumerable<byte[]> retired)
    {
        _current = current;
        _currentId = KeyId(current);
        _keys[_currentId] = current;
        foreach (var key in retired) _keys.TryAdd(KeyId(key), key);
    }

    public string CurrentKeyId => _currentId;

    /// <summary>The key ring from configuration; embedded mode creates its key file on first start.</summary>
    public static EnvironmentCipher Load(GridOptions options)
    {
        byte[] current;
        if (!string.IsNullOrWhiteSpace(options.EnvironmentKey))
        {
            current = Parse(options.EnvironmentKey, "Grid:EnvironmentKey");
        }
        else if (!string.IsNullOrWhiteSpace(options.EnvironmentKeyFile))
        {
            current = ReadKeyFile(options.EnvironmentKeyFile);
        }
        else if (!options.IsClusterMode)
        {
            current = EnsureKeyFile(Path.Combine(options.FullDataDirectory, "environment.key"));
        }
        else
        {
            throw new StartupException(
                "Cluster mode needs a key for environment variables, the same on every node: set Grid:EnvironmentKeyFile to a file holding "
                + "32 random bytes in base64 (head -c 32 /dev/urandom | base64 > /etc/grid/environment.key; chmod 600) or Grid:EnvironmentKey to the base64 itself.");
        }
        return new EnvironmentCipher(current, options.RetiredEnvironmentKeyFiles.Select(ReadKeyFile));
    }

    public string Encrypt(string plaintext, string context)
    {
        var data = Encoding.UTF8.GetBytes(plaintext);
        var blob = new byte[12 + data.Length + 16];
        var nonce = blob.AsSpan(0, 12);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_current, 16);
        aes.Encrypt(nonce, data, blob.AsSpan(12, data.Length), blob.AsSpan(12 + data.Length), Encoding.UTF8.GetBytes(context));
        return $"{Prefix}{_currentId}:{Convert.ToBase64String(blob)}";
    }

    public string Decrypt(string stored, string context)
    {
        var parts = stored.Split(':');
        if (parts.Length != 3 || parts[0] + ":" != Prefix) throw Errors.Service("Stored environment variables are not in a format this node reads.");
        if (!_keys.TryGetValue(parts[1], out var key))
        {
            throw Errors.Service($"The environment variables of this function are encrypted with key {parts[1]}, which this node does not have. "
                + "Configure it as Grid:EnvironmentKeyFile or list it in Grid:RetiredEnvironmentKeyFiles.");
        }
        var blob = Convert.FromBase64String(parts[2]);
        var data = new byte[blob.Length - 28];
        using var aes = new AesGcm(key, 16);
        try
        {
            aes.Decrypt(blob.AsSpan(0, 12), blob.AsSpan(12, data.Length), blob.AsSpan(12 + data.Length), data, Encoding.UTF8.GetBytes(context));
        }
        catch (AuthenticationTagMismatchException)
        {
            throw Errors.Service("The stored environment variables failed their integrity check: they were changed outside Grid.");
        }
        return Encoding.UTF8.GetString(data);
    }

    /// <summary>True when <paramref name="stored"/> is not under the current key (the reencrypt command rewrites it).</summary>
    public bool NeedsReencryption(string stored) => !stored.StartsWith(Prefix + _currentId + ":", StringComparison.Ordinal);

    private static string KeyId(byte[] key) => Convert.ToHexStringLower(SHA256.HashData(key))[..8];

    private static byte[] ReadKeyFile(string path)
    {
        if (!File.Exists(path)) throw new StartupException($"Environment key file {path} does not exist.");
        return Parse(File.ReadAllText(path), path);
    }

    private static byte[] Parse(string base64, string source)
    {
        try
        {
            var key = Convert.FromBase64String(base64.Trim());
            if (key.Length == KeyBytes) return key;
        }
        catch (FormatException)
        {
        }
        throw new StartupException($"{source} must hold {KeyBytes} random bytes in base64 (head -c 32 /dev/urandom | base64).");
    }

    private static byte[] EnsureKeyFile(string path)
    {
        if (File.Exists(path)) return ReadKeyFile(path);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var temp = path + ".tmp";
        using (var stream = new FileStream(temp, new FileStreamOptions
               {
                   Mode = FileMode.Create, Access = FileAccess.Write,
                   UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
               }))
        using (var writer = new StreamWriter(stream))
        {
            writer.Write(Convert.ToBase64String(key));
        }
        File.Move(temp, path, overwrite: false);
        return key;
    }
}
