// Shared by the test projects that run the built CLI: <Compile Include="../Shared/EdramCli.cs" />.
using System.Diagnostics;
using Xunit;

namespace EdramFer.Tests.Shared;

/// <summary>Runs the built tools (<c>edram</c>, <c>edram-train</c>; their dlls next to the test binaries) as processes, like a user would.</summary>
public static class EdramCli
{
    public static (int Code, string Output) Run(string? workingDirectory, params string[] args) =>
        RunDll(System.IO.Path.Combine(AppContext.BaseDirectory, "edram.dll"), workingDirectory, args);

    /// <summary>Runs the built <c>edram-train</c> (edram-train.dll next to the test binaries) as a process.</summary>
    public static (int Code, string Output) RunTrain(string? workingDirectory, params string[] args) =>
        RunDll(System.IO.Path.Combine(AppContext.BaseDirectory, "edram-train.dll"), workingDirectory, args);

    /// <summary>Runs the CLI assembly at <paramref name="dll"/> (e.g. the CLI project's own build output).</summary>
    public static (int Code, string Output) RunDll(string dll, string? workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        if (workingDirectory != null) start.WorkingDirectory = workingDirectory;
        start.ArgumentList.Add(dll);
        foreach (var a in args) start.ArgumentList.Add(a);
        start.Environment["COLUMNS"] = "200";
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(180_000), "edram timed out");
        return (p.ExitCode, stdout + stderr.Result);
    }
}
