namespace EdramFer.Cli.Scoring;

/// <summary>
/// Checks an output path before the first row is read and holds an exclusive lock on it for the run's lifetime, so
/// that a second run writing the same output (its partial and progress files included) fails at once.
/// </summary>
internal sealed class OutputGuard : IDisposable
{
    private readonly FileStream _lock;

    private OutputGuard(FileStream lockFile) => _lock = lockFile;

    /// <summary>
    /// Refuses an <paramref name="output"/> (given as <paramref name="option"/>) that is the input itself or a folder,
    /// then takes <c>&lt;output&gt;.lock</c>. On Unix .NET takes an advisory <c>flock</c> for <see cref="FileShare.None"/>,
    /// which the kernel releases when the process dies, so a killed run leaves no stale lock behind.
    /// </summary>
    public static OutputGuard Acquire(string input, string output, string option)
    {
        var full = Path.GetFullPath(output);
        if (SameFile(Path.GetFullPath(input), full))
            throw new ArgumentException($"{option} '{output}' is the input CSV: it would be replaced by the results; choose another file");
        if (Directory.Exists(full))
            throw new ArgumentException($"{option} '{output}' is a folder: expected a file path");
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        var lockPath = full + ".lock";
        try
        {
            return new OutputGuard(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.DeleteOnClose));
        }
        catch (IOException e)
        {
            throw new IOException($"{option} '{output}' is in use by another edram run (it holds '{Path.GetFileName(lockPath)}'); " +
                                  "wait for that run to end or choose another output", e);
        }
    }

    /// <summary>True when both paths name one file (also through a symbolic link).</summary>
    private static bool SameFile(string a, string b)
    {
        if (a == b) return true;
        if (!File.Exists(a) || !File.Exists(b)) return false;
        static string Real(string p) => new FileInfo(p).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? p;
        return Real(a) == Real(b);
    }

    public void Dispose() => _lock.Dispose();
}
