using System.Runtime.InteropServices;

namespace EdramFer.Vision;

/// <summary>
/// Reads an image file's bytes with a size limit, and only from regular files: a FIFO blocks forever on open, a device
/// such as <c>/dev/zero</c> never ends, and a socket cannot be read. Symbolic links are followed and the target judged.
/// </summary>
internal static partial class ImageFileReader
{
    /// <summary>The bytes, or a failure status and a message naming the file and what was expected.</summary>
    public static (byte[]? Bytes, PreprocessStatus Status, string Message) Read(string path, long maxBytes)
    {
        try
        {
            if (Directory.Exists(path)) return (null, PreprocessStatus.FileNotFound, $"{path}: is a directory, not an image file");
            if (!File.Exists(path)) return (null, PreprocessStatus.FileNotFound, $"{path}: file not found");
            if (NonRegularKind(path) is { } kind)
                return (null, PreprocessStatus.ReadError, $"{path}: is a {kind}, not a regular file; not read (it could block or never end)");
            var length = new FileInfo(path).Length; // of the link's target: FileInfo follows links for Length
            if (length > maxBytes)
                return (null, PreprocessStatus.ReadError, $"{path}: {length:N0} bytes, more than MaxFileBytes = {maxBytes:N0}; not read");
            return ReadAtMost(path, maxBytes);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (null, PreprocessStatus.ReadError, $"{path}: could not be read ({e.Message})");
        }
    }

    /// <summary>Reads up to maxBytes; a file that grew past the limit since it was checked is refused, not truncated.</summary>
    private static (byte[]?, PreprocessStatus, string) ReadAtMost(string path, long maxBytes)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, bufferSize: 1, FileOptions.SequentialScan);
        using var buffer = new MemoryStream();
        var chunk = new byte[81920];
        int n;
        while ((n = stream.Read(chunk, 0, (int)Math.Min(chunk.Length, maxBytes + 1 - buffer.Length))) > 0)
        {
            buffer.Write(chunk, 0, n);
            if (buffer.Length > maxBytes)
                return (null, PreprocessStatus.ReadError, $"{path}: more than MaxFileBytes = {maxBytes:N0} bytes; not read");
        }
        return (buffer.ToArray(), PreprocessStatus.Ok, "");
    }

    /// <summary>"FIFO (named pipe)", "character device", ... for a non-regular file (after links); null for a regular one.</summary>
    internal static string? NonRegularKind(string path)
    {
        if (OperatingSystem.IsWindows()) return null; // no FIFOs or device files reachable by path there
        int mode;
        try
        {
            // The .NET runtime's own stat (stable struct: Flags, then Mode with portable S_IF* bits), so no libc layout.
            var status = new byte[256];
            if (SystemNativeStat(path, status) != 0) return null; // vanished or unreadable: the read reports it
            mode = BitConverter.ToInt32(status, 4) & 0xF000;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            // Runtime without that export: every special file reports size 0, and a regular 0-byte file is empty anyway.
            return new FileInfo(path).Length == 0 ? "file of 0 bytes (empty, or a FIFO, device or socket)" : null;
        }
        return mode switch
        {
            0x8000 => null,
            0x1000 => "FIFO (named pipe)",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            _ => $"special file (type 0x{mode:X4})",
        };
    }

    [LibraryImport("libSystem.Native", EntryPoint = "SystemNative_Stat", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SystemNativeStat(string path, [Out] byte[] status);
}
