namespace EdramFer.Fuzz;

/// <summary>
/// Runs one input at a time on a dedicated background thread, so the caller can give up on an input that does not
/// finish. A hung thread cannot be stopped in .NET; it stays behind (as a background thread it does not keep the
/// process alive) and the worker refuses further inputs.
/// </summary>
internal sealed class InputWorker : IDisposable
{
    private readonly Thread _thread;
    private readonly SemaphoreSlim _start = new(0), _done = new(0);
    private Func<string>? _job;
    private string? _outcome;
    private Exception? _error;
    private bool _stopping, _hung;

    public InputWorker()
    {
        _thread = new Thread(Loop, maxStackSize: 16 << 20) { IsBackground = true, Name = "fuzz input" };
        _thread.Start();
    }

    /// <summary>The outcome, or the failure: ("hang", …) after <paramref name="timeout"/>, ("contract" or "exception", …) when it threw.</summary>
    public (string? Outcome, (string Kind, string Message)? Failure) Run(Func<string> job, TimeSpan timeout)
    {
        if (_hung) throw new InvalidOperationException("The worker's thread is stuck on an earlier input.");
        _job = job;
        _start.Release();
        if (!_done.Wait(timeout))
        {
            _hung = true;
            return (null, ("hang", $"the input did not finish within {timeout.TotalSeconds:0.#} s"));
        }
        return _error switch
        {
            null => (_outcome, null),
            ContractViolation v => (null, ("contract", v.Message)),
            var e => (null, ("exception", $"{e.GetType().FullName}: {e.Message}\n{e.StackTrace}")),
        };
    }

    private void Loop()
    {
        while (true)
        {
            _start.Wait();
            if (_stopping) return;
            try
            {
                _outcome = _job!();
                _error = null;
            }
            catch (Exception e)
            {
                _error = e;
            }
            _done.Release();
        }
    }

    public void Dispose()
    {
        if (_hung) return; // the thread is busy for good; nothing to wake
        _stopping = true;
        _start.Release();
        _thread.Join();
    }
}

/// <summary>The process's peak resident memory (VmHWM on Linux; the current working set elsewhere).</summary>
internal static class PeakMemory
{
    /// <summary>Lowers the peak to the current resident memory (Linux 4.0+), so a run is not judged by an earlier one's peak.</summary>
    public static void Reset()
    {
        if (!OperatingSystem.IsLinux()) return;
        try
        {
            File.WriteAllText("/proc/self/clear_refs", "5");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // an older kernel or a locked-down /proc: the peak then covers the whole process
        }
    }

    public static long Bytes()
    {
        if (OperatingSystem.IsLinux())
        {
            foreach (var line in File.ReadLines("/proc/self/status"))
                if (line.StartsWith("VmHWM:", StringComparison.Ordinal))
                    return long.Parse(line[6..].Trim().Split(' ')[0]) * 1024; // "VmHWM:   123456 kB"
        }
        return Environment.WorkingSet;
    }
}
