using EdramFer.Fuzz;

namespace EdramFer.Fuzz.Tests;

/// <summary>
/// Every harness in process, a few seconds each (the long runs are <c>bench fuzz</c> and AFL++/libFuzzer): the committed
/// corpus, regressions included, then seeded mutations. One class, so the targets run one after another.
/// </summary>
[Collection("fuzz")]
public class FuzzTargetTests
{
    // Seconds of mutation per target after the replay; the slower targets (a session or a zip per input) get more.
    public static TheoryData<string, int, string> Targets() => new()
    {
        { "image", 5, "Ok" },
        { "csv", 5, "read: 2-9 records" },
        { "onnx-metadata", 6, "accepted" },
        { "pipeline-zip", 8, "loaded: 1 scoring state(s)" },
    };

    [Theory]
    [MemberData(nameof(Targets))]
    public void Run_CorpusThenMutations_KeepsTheContract(string name, int seconds, string deepOutcome)
    {
        var corpus = FuzzRunner.LoadCorpus(FuzzCommands.CorpusFolder(name));
        Assert.True(corpus.Count >= 5, $"fuzz/corpus/{name} holds {corpus.Count} files; regenerate the seeds with `EdramFer.Fuzz seed`");
        using var target = FuzzTargets.Create(name);

        var report = FuzzRunner.Run(target, corpus, new FuzzOptions { Duration = TimeSpan.FromSeconds(seconds), Seed = 14 });

        Assert.True(report.Failures.Count == 0, FuzzCommands.Summary(report) + "\n" + string.Join("\n", report.Failures));
        Assert.True(report.Executions > corpus.Count, $"no mutated input ran: {FuzzCommands.Summary(report)}");
        // The seeds reach past the first checks: at least one input goes all the way through the entry point.
        Assert.Contains(report.Outcomes.Keys, k => k.Contains(deepOutcome, StringComparison.Ordinal));
    }
}
