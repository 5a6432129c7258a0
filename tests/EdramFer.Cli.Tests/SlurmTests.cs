using System.Diagnostics;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;

namespace EdramFer.Cli.Tests;

/// <summary>Skipped, with the reason, where a single-node Slurm cannot run: not root on Linux, no slurm-wlm/munge, no shared data.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!OperatingSystem.IsLinux() || Environment.UserName != "root")
            Skip = "the local Slurm cluster (deploy/slurm/local-cluster.sh) runs its daemons as root on Linux";
        else if (!File.Exists("/usr/sbin/slurmctld") || !File.Exists("/usr/sbin/munged"))
            Skip = "Slurm is not installed: apt-get install slurm-wlm munge (scripts/setup.sh installs them)";
        else if (SharedData.MissingReason("fer2013/test") is { } reason)
            Skip = reason;
    }
}

/// <summary>
/// deploy/slurm on a real Slurm: a single-node cluster (munged, slurmctld, slurmd on loopback) runs the 4-task array job
/// and the dependent merge over 3,612 rows (301 FER2013 images, twelve times); the merge equals one edram score run byte for byte, and so does it
/// after one shard's job is cancelled mid-run (scancel: SIGTERM) and resubmitted, resuming from its partial file.
/// </summary>
public sealed class SlurmTests : IDisposable
{
    private static readonly string Repo = SharedData.RepoRoot;
    private readonly string _dir = TestModels.TempFolder("slurm");
    private readonly Dictionary<string, string> _env;

    public SlurmTests()
    {
        var port = 20000 + Environment.ProcessId % 10000 * 2;
        _env = new()
        {
            ["SLURM_CONF"] = Path.Combine(_dir, "cluster", "slurm.conf"),
            ["EDRAM_SLURMCTLD_PORT"] = $"{port}", ["EDRAM_SLURMD_PORT"] = $"{port + 1}",
            ["EDRAM"] = $"dotnet {Path.Combine(AppContext.BaseDirectory, "edram.dll")}",
            ["MODEL"] = TestModels.Small, ["INPUT"] = Path.Combine(_dir, "in.csv"), ["OUT"] = Path.Combine(_dir, "out"), ["SHARDS"] = "4",
            ["EDRAM_ARGS"] = "--detector none --batch-size 1",
        };
    }

    public void Dispose() => Bash($"deploy/slurm/local-cluster.sh stop '{_dir}/cluster'");

    [SlurmFact]
    public void ArrayJob_FourShardsMerged_EqualsOneRun_AlsoAfterAShardIsCancelledAndResubmitted()
    {
        // 301 images, twelve times over: each shard runs long enough (903 rows at batch 1) to be cancelled mid-way.
        var images = TestModels.FerTest(43).Select(f => f.Path).ToList();
        File.WriteAllLines(_env["INPUT"], ["path", .. Enumerable.Repeat(images, 12).SelectMany(x => x)]);
        var (code, output) = EdramCli.Run(_dir, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "one.csv", "--detector", "none");
        Assert.True(code == 0, output);
        var one = File.ReadAllBytes(Path.Combine(_dir, "one.csv"));
        Bash($"deploy/slurm/local-cluster.sh start '{_dir}/cluster'");

        Bash($"deploy/slurm/submit.sh 4 '{TestModels.Small}' '{_env["INPUT"]}' '{_env["OUT"]}' {_env["EDRAM_ARGS"]}");
        var merged = Path.Combine(_env["OUT"], "predictions.csv");
        WaitUntilQueueEmpty();
        Assert.True(File.Exists(merged), $"no merged output; logs:\n{Logs()}");
        Assert.Equal(one, File.ReadAllBytes(merged));

        // Shard 1 again, cancelled once it has saved a chunk, then resubmitted: it resumes and the merge is unchanged.
        var shard = Path.Combine(_env["OUT"], "shard-1-of-4.csv");
        foreach (var f in new[] { shard, shard + ".shard.json", merged }) File.Delete(f);
        var job = Bash("sbatch --parsable --chdir=\"$OUT\" --array=1 --export=ALL deploy/slurm/score-shard.sbatch").Trim();
        Assert.True(WaitFor(() => File.Exists(shard + ".partial.json"), TimeSpan.FromMinutes(3)), $"shard 1 saved no chunk; logs:\n{Logs()}");
        Bash($"scancel --signal=TERM --full {job}");
        WaitUntilQueueEmpty();
        Assert.False(File.Exists(shard + ".shard.json"), "the cancelled shard finished before it was cancelled");
        Assert.True(File.Exists(shard + ".partial"));
        Bash("sbatch --parsable --chdir=\"$OUT\" --array=1 --export=ALL deploy/slurm/score-shard.sbatch");
        WaitUntilQueueEmpty();
        Assert.Contains("resuming after row", Logs());
        Bash("sbatch --parsable --chdir=\"$OUT\" --export=ALL deploy/slurm/merge.sbatch");
        WaitUntilQueueEmpty();
        Assert.Equal(one, File.ReadAllBytes(merged));
    }

    private void WaitUntilQueueEmpty() =>
        Assert.True(WaitFor(() => Bash("squeue -h").Trim().Length == 0, TimeSpan.FromMinutes(6)), $"jobs still queued; logs:\n{Logs()}");

    private static bool WaitFor(Func<bool> done, TimeSpan timeout)
    {
        var end = DateTime.UtcNow + timeout;
        while (!done())
        {
            if (DateTime.UtcNow > end) return false;
            Thread.Sleep(500);
        }
        return true;
    }

    private string Logs() => string.Join("\n", Directory.Exists(_env["OUT"])
        ? Directory.GetFiles(_env["OUT"], "*.log").Order().Select(f => $"--- {Path.GetFileName(f)}\n{File.ReadAllText(f)}") : []);

    /// <summary>Runs a bash command in the repository root with the cluster's environment; fails the test on a non-zero exit.</summary>
    private string Bash(string command)
    {
        var start = new ProcessStartInfo("bash", ["-c", command]) { WorkingDirectory = Repo, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in _env) start.Environment[k] = v;
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, $"'{command}' exited {p.ExitCode}:\n{stdout}{stderr.Result}");
        return stdout;
    }
}
