using System.Diagnostics;
using EdramFer.ML.Tests;
using EdramFer.Tests.Shared;
using YamlDotNet.RepresentationModel;

namespace EdramFer.Cli.Tests;

/// <summary>
/// deploy/k8s: the Indexed Job and the merge Job agree with each other (shard count, volume, image), and the shell
/// commands their pods run, executed here for every completion index with /data in a temporary folder, produce a
/// merge equal to one edram score run.
/// </summary>
public class KubernetesManifestTests
{
    private static YamlMappingNode Load(string name)
    {
        var stream = new YamlStream();
        using var reader = new StreamReader(Path.Combine(SharedData.RepoRoot, "deploy", "k8s", name));
        stream.Load(reader);
        return (YamlMappingNode)stream.Documents.Single().RootNode;
    }

    private static YamlNode At(YamlNode node, params string[] path) =>
        path.Aggregate(node, (n, key) => int.TryParse(key, out var i) ? ((YamlSequenceNode)n)[i] : ((YamlMappingNode)n)[key]);

    private static string Text(YamlNode node, params string[] path) => ((YamlScalarNode)At(node, path)).Value!;

    private static string Env(YamlNode container, string name) =>
        ((YamlSequenceNode)At(container, "env")).Cast<YamlMappingNode>().Single(e => Text(e, "name") == name)["value"].ToString();

    [Fact]
    public void Manifests_IndexedScoreJobAndMergeJob_Agree()
    {
        YamlMappingNode score = Load("score-job.yaml"), merge = Load("merge-job.yaml");
        foreach (var job in new[] { score, merge }) Assert.Equal(("batch/v1", "Job"), (Text(job, "apiVersion"), Text(job, "kind")));
        Assert.Equal("Indexed", Text(score, "spec", "completionMode"));
        var shards = Text(score, "spec", "completions");
        YamlNode scorer = At(score, "spec", "template", "spec", "containers", "0"), merger = At(merge, "spec", "template", "spec", "containers", "0");
        Assert.Equal(shards, Env(scorer, "SHARDS"));
        Assert.Equal(shards, Env(merger, "SHARDS"));
        Assert.Equal(Text(scorer, "image"), Text(merger, "image"));
        Assert.Equal(Text(score, "spec", "template", "spec", "volumes", "0", "persistentVolumeClaim", "claimName"),
            Text(merge, "spec", "template", "spec", "volumes", "0", "persistentVolumeClaim", "claimName"));
        var args = Text(scorer, "args", "0");
        Assert.Contains("--shard \"$JOB_COMPLETION_INDEX/$SHARDS\"", args);
        Assert.Contains("--resume", args);
    }

    [Fact]
    public void PodCommands_EveryIndexThenMerge_EqualOneRun()
    {
        var dir = TestModels.TempFolder("k8s");
        var data = Directory.CreateDirectory(Path.Combine(dir, "data")).FullName;
        Directory.CreateDirectory(Path.Combine(data, "out"));
        ScoreReliabilityTests.SyntheticCsv(data, 40);
        var bin = Directory.CreateDirectory(Path.Combine(dir, "bin")).FullName;
        File.WriteAllText(Path.Combine(bin, "edram"), $"#!/bin/sh\nexec dotnet '{Path.Combine(AppContext.BaseDirectory, "edram.dll")}' \"$@\"\n");
        File.SetUnixFileMode(Path.Combine(bin, "edram"), UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        string Local(string command) => command.Replace("/data", data).Replace("/opt/edram/onnx/edram-fer2013.onnx", TestModels.Small)
            .Replace("--batch-size 32", "--batch-size 4 --detector none");

        var score = Load("score-job.yaml");
        var scorer = At(score, "spec", "template", "spec", "containers", "0");
        var shards = int.Parse(Env(scorer, "SHARDS"));
        for (var k = 0; k < shards; k++) Sh(Local(Text(scorer, "args", "0")), bin, ("JOB_COMPLETION_INDEX", $"{k}"), ("SHARDS", $"{shards}"));
        Sh(Local(Text(scorer, "args", "0")), bin, ("JOB_COMPLETION_INDEX", "0"), ("SHARDS", $"{shards}")); // a retried finished pod: no-op
        var merger = At(Load("merge-job.yaml"), "spec", "template", "spec", "containers", "0");
        Sh(Local(Text(merger, "args", "0")), bin, ("SHARDS", $"{shards}"));

        var (code, output) = EdramCli.Run(data, "score", "--model", TestModels.Small, "--input", "in.csv", "--output", "one.csv", "--detector", "none", "--batch-size", "4");
        Assert.True(code == 0, output);
        Assert.Equal(File.ReadAllBytes(Path.Combine(data, "one.csv")), File.ReadAllBytes(Path.Combine(data, "out", "predictions.csv")));
    }

    private static void Sh(string command, string bin, params (string Name, string Value)[] env)
    {
        var start = new ProcessStartInfo("/bin/sh", ["-c", command]) { RedirectStandardOutput = true, RedirectStandardError = true };
        start.Environment["PATH"] = bin + ":" + Environment.GetEnvironmentVariable("PATH");
        foreach (var (name, value) in env) start.Environment[name] = value;
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        Assert.True(p.WaitForExit(120_000), $"'{command}' timed out");
        Assert.True(p.ExitCode == 0, $"'{command}' exited {p.ExitCode}:\n{stdout}{stderr.Result}");
    }
}
