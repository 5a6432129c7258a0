using EdramFer.Bench;
using EdramFer.Tests.Shared;

namespace EdramFer.Bench.Tests;

/// <summary>Skipped, with the reason shown, without Node.js or without the FER2013 PublicTest crops.</summary>
public sealed class PeersFactAttribute : FactAttribute
{
    public PeersFactAttribute()
    {
        if (PeersRunner.MissingTools() is { } tools) Skip = $"the peer runner needs Node.js: {tools}";
        else if (SharedData.MissingReason("fer2013/test") is { } data) Skip = data;
    }
}

public class PeersRunnerTests
{
    // One PublicTest crop per class that both peers classify right with probability > 0.998, and one neutral face that
    // both call happy with 0.9999: a permuted label mapping moves at least two of them, and the counting must give 7/8.
    private static readonly (string File, string Truth, string Predicted)[] Images =
    [
        ("angry/PublicTest_64680248.jpg", "angry", "angry"),
        ("disgust/PublicTest_84732279.jpg", "disgust", "disgust"),
        ("fear/PublicTest_81993157.jpg", "fear", "fear"),
        ("happy/PublicTest_98860460.jpg", "happy", "happy"),
        ("neutral/PublicTest_2178283.jpg", "neutral", "neutral"),
        ("sad/PublicTest_66968155.jpg", "sad", "sad"),
        ("surprise/PublicTest_93901885.jpg", "surprise", "surprise"),
        ("neutral/PublicTest_73189561.jpg", "neutral", "happy"),
    ];

    [PeersFact]
    public void Pass_ConfidentImages_PeersPredictTheirClassesInFer2013Order()
    {
        PeersRunner.EnsureInstalled(PeersRunner.Folder);
        using var runner = PeersRunner.Start(PeersRunner.Folder, threads: 1);
        Assert.Equal(PeerSets.Classes, runner.Classes);
        Assert.Equal(1, runner.Runtime["threads"]!.GetValue<int>());
        runner.Decode(Images.Select(i => SharedData.Path("fer2013", "test", i.File)).ToList());
        var set = new PeerSet("eight crops", Images.Select(i => i.File).ToList(),
            Images.Select(i => PeerSets.ClassIndex(i.Truth, i.File)).ToArray(), Detect: false, "");
        var expected = Images.Select(i => i.Predicted).ToArray();
        foreach (var peer in new[] { "faceapi", "human" })
        {
            runner.Load(peer);
            var single = runner.Pass(peer, batch: 1);
            var batched = runner.Pass(peer, batch: 8);
            Assert.Equal(expected, single.Predictions.Select(k => runner.Classes[k]).ToArray());
            Assert.Equal(single.Predictions, batched.Predictions);
            Assert.Equal(3, runner.Pass(peer, batch: 2, count: 3).Images);

            var r = PeersBenchmark.Summarise(set, peer, "1", new() { [1] = [single], [8] = [batched] }, runner.Classes,
                Enumerable.Range(0, Images.Length).ToArray());
            Assert.Equal(7.0 / 8, r.Metrics.Accuracy, 9);
            Assert.Equal(0.5, r.Metrics.PerClassAccuracy["neutral"], 9);
            Assert.Equal((6 + 0.5) / 7, r.Metrics.MeanPerClassAccuracy, 9);
        }
    }

    [PeersFact]
    public void Pass_UnloadedPeer_FailsNamingTheRequest()
    {
        PeersRunner.EnsureInstalled(PeersRunner.Folder);
        using var runner = PeersRunner.Start(PeersRunner.Folder, threads: 1);
        var e = Assert.Throws<InvalidOperationException>(() => runner.Pass("human", batch: 1));
        Assert.Contains("peer 'human' is not loaded", e.Message);
        Assert.Throws<InvalidOperationException>(() => runner.Load("tfjs-node"));
    }

    [Fact]
    public void Summarise_RowWithoutAFace_CountsAsWrongAndPicksTheFastestBatch()
    {
        // Truth angry, happy, happy; the tool's own class order is reversed and row 1 had no face (no prediction).
        var set = new PeerSet("three", ["a", "b", "c"], [0, 3, 3], Detect: true, "");
        var classes = Enumerable.Reverse(PeerSets.Classes).ToArray();
        int Own(string c) => Array.IndexOf(classes, c);
        var slow = new TimedPass(2, 100, [Own("sad"), Own("sad")]);
        var fast = new TimedPass(2, 300, [Own("angry"), Own("happy")]);
        var r = PeersBenchmark.Summarise(set, "tool", "1",
            new() { [1] = [slow, new TimedPass(2, 120, [0, 0]), slow], [32] = [new TimedPass(2, 200, [0, 0]), fast] }, classes, [0, 2]);
        Assert.Equal(32, r.Batch);
        Assert.Equal(300, r.Best);
        Assert.Equal(250, r.Median);
        Assert.Equal(120, r.BestByBatch[1]);
        Assert.Equal(2.0 / 3, r.Metrics.Accuracy, 9);
        Assert.Equal(0.5, r.Metrics.PerClassAccuracy["happy"], 9);
        Assert.Equal(0.75, r.Metrics.MeanPerClassAccuracy, 9);
    }

    [Fact]
    public void Spread_Limit_KeepsRowsFromEveryPartOfASortedList()
    {
        Assert.Equal([0, 3, 6], PeerSets.Spread(10, 3));
        Assert.Equal(Enumerable.Range(0, 4), PeerSets.Spread(4, 10));
        Assert.Equal(Enumerable.Range(0, 4), PeerSets.Spread(4, null));
    }
}
