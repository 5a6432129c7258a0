using System.Security.Cryptography;

namespace EdramFer.Cli.Scoring;

/// <summary>
/// SHA-256 of the first bytes of the input, grown as rows are consumed: what a resumed run compares to know that the
/// rows it skips are the rows that were scored (size and modification time cannot tell two swapped rows apart).
/// </summary>
internal sealed class InputFingerprint : IDisposable
{
    private readonly FileStream _file;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly byte[] _buffer = new byte[1 << 16];

    public InputFingerprint(string path) => _file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1, FileOptions.SequentialScan);

    /// <summary>Bytes hashed so far.</summary>
    public long Length { get; private set; }

    /// <summary>Hashes up to byte <paramref name="end"/> (exclusive) and returns the hash of bytes [0, end) in hex.</summary>
    public string Advance(long end)
    {
        while (Length < end)
        {
            var n = _file.Read(_buffer, 0, (int)Math.Min(_buffer.Length, end - Length));
            if (n == 0) throw new IOException($"'{_file.Name}' ended at byte {Length} while being read; was it changed during the run?");
            _hash.AppendData(_buffer, 0, n);
            Length += n;
        }
        return Convert.ToHexString(_hash.GetCurrentHash());
    }

    /// <summary>SHA-256 (hex) of the first <paramref name="length"/> bytes of <paramref name="path"/>; null when it is shorter.</summary>
    public static string? Of(string path, long length)
    {
        if (new FileInfo(path).Length < length) return null;
        using var f = new InputFingerprint(path);
        return f.Advance(length);
    }

    public void Dispose()
    {
        _file.Dispose();
        _hash.Dispose();
    }
}
