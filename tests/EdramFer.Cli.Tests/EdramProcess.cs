using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace EdramFer.Cli.Tests;

/// <summary>A running <c>edram</c> (edram.dll next to the tests), for tests that signal it or run two at once.</summary>
internal sealed class EdramProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public EdramProcess(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edram.dll"));
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["COLUMNS"] = "200";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.ErrorDataReceived += (_, e) => { lock (_output) _output.AppendLine(e.Data); };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>Waits until <paramref name="path"/> exists (e.g. the first chunk's progress file); false when the process ended first.</summary>
    public bool WaitForFile(string path, int timeoutMs = 120_000)
    {
        var watch = Stopwatch.StartNew();
        while (!File.Exists(path))
        {
            if (_process.HasExited || watch.ElapsedMilliseconds > timeoutMs) return false;
            Thread.Sleep(50);
        }
        return true;
    }

    /// <summary>Waits until the output contains <paramref name="text"/>; false when the process ended first.</summary>
    public bool WaitForOutput(string text, int timeoutMs = 120_000)
    {
        var watch = Stopwatch.StartNew();
        while (true)
        {
            lock (_output) if (_output.ToString().Contains(text, StringComparison.Ordinal)) return true;
            if (_process.HasExited || watch.ElapsedMilliseconds > timeoutMs) return false;
            Thread.Sleep(50);
        }
    }

    /// <summary>Sends a real POSIX signal (kill(2)) to the process.</summary>
    public void Signal(int signal) => Assert.Equal(0, Kill(_process.Id, signal));

    /// <summary>Waits for the exit; returns the exit code and everything printed.</summary>
    public (int Code, string Output) Wait(int timeoutMs = 180_000)
    {
        Assert.True(_process.WaitForExit(timeoutMs), "edram timed out");
        _process.WaitForExit(); // drains the output events
        lock (_output) return (_process.ExitCode, _output.ToString());
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }

    public const int SIGHUP = 1, SIGINT = 2, SIGTERM = 15;

    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int Kill(int pid, int signal);
}
