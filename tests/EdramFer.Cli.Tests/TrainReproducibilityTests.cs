using System.Diagnostics;
using System.Runtime.InteropServices;
using EdramFer.Tests.Shared;
using EdramFer.Training.Train;
using TorchSharp;

namespace EdramFer.Cli.Tests;

/// <summary>
/// Training is a function of its command line: two processes with one seed end with identical weights, and a run
/// stopped by SIGTERM and resumed in a third process ends with them too. Before the epoch shuffle was seeded from
/// HashCode.Combine (randomised per process) the weights of the two processes differed; in-process tests hid it.
/// </summary>
public sealed class TrainReproducibilityTests : IDisposable
{
    const int PerClass = 96;
    readonly string _dir = Path.Combine(Path.GetTempPath(), "edram-repro-" + Guid.NewGuid().ToString("N")[..10]);

    public TrainReproducibilityTests() => Directory.CreateDirectory(_dir);
    public void Dispose() { try { Directory.Delete(_dir, true); } catch (IOException) { } }

    [SharedDataFact("fer2013/train")]
    public void Train_SameSeedInTwoProcessesAndKilledThenResumed_IdenticalWeights()
    {
        var data = WriteDataset();
        string[] Args(string run) => ["train", "--dataset", "csv:" + data, "--output", run, "--preset", "cpu", "--epochs", "3",
            "--batch-size", "64", "--lr", "1e-3", "--detector", "none", "--seed", "5", "--threads", "1",
            "--classes", "angry,disgust,fear,happy,neutral,sad,surprise"];
        string a = Path.Combine(_dir, "a"), b = Path.Combine(_dir, "b"), c = Path.Combine(_dir, "c");
        Assert.Equal(0, EdramCli.RunTrain(_dir, Args(a)).Code);
        Assert.Equal(0, EdramCli.RunTrain(_dir, Args(b)).Code);
        AssertSameWeights(a, b);

        // Third process: SIGTERM as soon as the first epoch's checkpoint exists (mid-way through epoch 2), then resume.
        Assert.Equal(2, RunAndTerminate(Args(c), Path.Combine(c, "checkpoints", "last.ckpt")));
        Assert.Equal(0, EdramCli.RunTrain(_dir, [.. Args(c), "--resume"]).Code);
        AssertSameWeights(a, c);
    }

    /// <summary>FER2013 training images, <see cref="PerClass"/> of each class (sorted names), as a csv: dataset.</summary>
    string WriteDataset()
    {
        var lines = new List<string> { "path,label" };
        foreach (var dir in Directory.GetDirectories(SharedData.Path("fer2013", "train")).Order(StringComparer.Ordinal))
            lines.AddRange(Directory.GetFiles(dir, "*.jpg").Order(StringComparer.Ordinal).Take(PerClass)
                .Select(f => $"{f},{Path.GetFileName(dir)}"));
        var path = Path.Combine(_dir, "train.csv");
        File.WriteAllLines(path, lines);
        return path;
    }

    int RunAndTerminate(string[] args, string waitFor)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = _dir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "edram-train.dll"));
        foreach (var arg in args) start.ArgumentList.Add(arg);
        using var p = Process.Start(start)!;
        p.OutputDataReceived += (_, _) => { };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        var deadline = DateTime.UtcNow.AddMinutes(3);
        while (!File.Exists(waitFor) && !p.HasExited && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Assert.False(p.HasExited, "training finished before it could be interrupted");
        Assert.Equal(0, Kill(p.Id, SigTerm));
        Assert.True(p.WaitForExit(120_000), "training did not stop after SIGTERM");
        return p.ExitCode;
    }

    const int SigTerm = 15;
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    static extern int Kill(int pid, int signal);

    static void AssertSameWeights(string runA, string runB)
    {
        var (_, ma) = Checkpoint.LoadModel(Path.Combine(runA, "checkpoints", "last.ckpt"));
        var (_, mb) = Checkpoint.LoadModel(Path.Combine(runB, "checkpoints", "last.ckpt"));
        using (ma) using (mb)
        {
            var wb = mb.state_dict();
            foreach (var (name, wa) in ma.state_dict())
                Assert.True(wa.equal(wb[name]).all().item<bool>(), $"weights '{name}' differ between {Path.GetFileName(runA)} and {Path.GetFileName(runB)}");
        }
    }
}
