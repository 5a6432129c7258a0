using System.Diagnostics;

namespace EdramFer.Training.Tests;

/// <summary>The build marks libLibTorchSharp.so's GLIBCXX_3.4.32 need weak where the system lacks it.</summary>
public class ElfPatchTests
{
    // The build carries one platform's native libraries beside the assemblies (Directory.Build.props, EdramRuntime).
    static string OutputCopy => Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");

    static bool SystemHasVersion()
    {
        foreach (var p in new[] { "/usr/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib64/libstdc++.so.6", "/lib/x86_64-linux-gnu/libstdc++.so.6" })
            if (File.Exists(p)) return System.Text.Encoding.ASCII.GetString(File.ReadAllBytes(p)).Contains("GLIBCXX_3.4.32\0");
        return true;
    }

    static string ReadElfVersions(string path)
    {
        var psi = new ProcessStartInfo("readelf", ["-V", "-W", path]) { RedirectStandardOutput = true, UseShellExecute = false };
        using var p = Process.Start(psi)!;
        var text = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.Equal(0, p.ExitCode);
        return text;
    }

    [Fact]
    public void BuildOutput_LibTorchSharp_NeedsGlibcxx3432WeaklyWhereSystemLacksIt()
    {
        if (!OperatingSystem.IsLinux()) return; // the patch is Linux-only by design
        Assert.True(File.Exists(OutputCopy), $"missing {OutputCopy}");
        var line = ReadElfVersions(OutputCopy).Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32"));
        if (SystemHasVersion()) Assert.Contains("Flags: none", line);
        else Assert.Contains("Flags: WEAK", line);
    }

    [Fact]
    public void NuGetCache_LibTorchSharp_IsNeverPatched()
    {
        if (!OperatingSystem.IsLinux()) return;
        var cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var original = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(original), $"TorchSharp package not found at {original}");
        var line = ReadElfVersions(original).Split('\n').Single(l => l.Contains("Name: GLIBCXX_3.4.32"));
        Assert.Contains("Flags: none", line);
    }
}
