using System.Diagnostics;

namespace EdramFer.Packaging.Tests;

/// <summary>Runs a command as a user would in a shell, with extra environment variables, and returns its output.</summary>
public static class ChildProcess
{
    /// <summary>Runs <paramref name="file"/> and fails the test, showing the output, on a non-zero exit or a timeout.</summary>
    public static string Run(string file, string workingDirectory, IReadOnlyDictionary<string, string> environment,
        TimeSpan timeout, params string[] args)
    {
        var start = new ProcessStartInfo(file)
        {
            WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true,
        };
        foreach (var a in args) start.ArgumentList.Add(a);
        // `dotnet test` passes its own MSBuild settings down; a child build must find its SDK the ordinary way.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
            start.Environment.Remove(key);
        foreach (var (key, value) in environment) start.Environment[key] = value;

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"'{file} {string.Join(' ', args)}' did not finish within {timeout.TotalMinutes:F0} min");
        }
        var output = stdout.Result + stderr.Result;
        Assert.True(process.ExitCode == 0, $"'{file} {string.Join(' ', args)}' in {workingDirectory} exited with {process.ExitCode}:\n{output}");
        return output;
    }
}
