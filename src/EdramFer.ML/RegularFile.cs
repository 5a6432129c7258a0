using System.Runtime.InteropServices;

namespace EdramFer.ML;

/// <summary>
/// Refuses paths that are not regular files before they are opened: a FIFO blocks the open forever and a device such
/// as <c>/dev/zero</c> never ends, and .NET reports both as ordinary files (<see cref="FileAttributes.Normal"/>).
/// </summary>
public static class RegularFile
{
    /// <summary>The file type of <paramref name="path"/> after symbolic links ("regular file", "FIFO", "character device"...); null when it does not exist.</summary>
    public static string? Kind(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (Directory.Exists(path)) return "directory";
        if (!File.Exists(path)) return null;
        if (!OperatingSystem.IsLinux()) return "regular file"; // statx is Linux's; elsewhere .NET's view stands
        var buffer = new byte[256]; // struct statx: the same layout on every Linux architecture
        if (Statx(AtFdCwd, path, 0, StatxType, buffer) != 0) return "regular file"; // e.g. an old kernel: keep .NET's answer
        return (BitConverter.ToUInt16(buffer, 28) & 0xF000) switch // stx_mode at offset 28, S_IFMT bits
        {
            0x8000 => "regular file",
            0x1000 => "FIFO",
            0x2000 => "character device",
            0x6000 => "block device",
            0xC000 => "socket",
            var other => $"special file (mode 0x{other:X})",
        };
    }

    /// <summary>Throws <see cref="FileNotFoundException"/> or <see cref="InvalidDataException"/> naming <paramref name="what"/> and the path unless it is a regular file.</summary>
    public static void Require(string path, string what)
    {
        switch (Kind(path))
        {
            case null: throw new FileNotFoundException($"{what} not found: '{path}'", path);
            case "regular file": return;
            case var kind: throw new InvalidDataException($"{what} '{path}' is a {kind}, not a regular file: refused (it could block or never end)");
        }
    }

    private const int AtFdCwd = -100;
    private const uint StatxType = 0x1;

    [DllImport("libc", EntryPoint = "statx", SetLastError = true)]
    private static extern int Statx(int dirfd, [MarshalAs(UnmanagedType.LPUTF8Str)] string path, int flags, uint mask, byte[] buffer);
}
