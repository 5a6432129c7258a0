using System.Diagnostics.Metrics;
using EdramFer.Analysis;
using EdramFer.Vision;
using Microsoft.Extensions.DependencyInjection;

namespace EdramFer.Server.Tests;

/// <summary>The batching queue on the shipped model: faces waiting together go in one ONNX Runtime call, results come back to their callers unchanged.</summary>
public sealed class ScoringQueueTests
{
    [Theory]
    [InlineData(32, new[] { 8 })]
    [InlineData(3, new[] { 3, 3, 2 })]
    public async Task Waiting_EightCallers_ScoredInBatchesOfUpToTheBatchSizeSameAsAlone(int batchSize, int[] expectedBatches)
    {
        using var scorer = GlimpseScorer.Load(ServerFactory.ShippedModel);
        var faces = Enumerable.Range(0, 8).Select(Face).ToList();
        var alone = scorer.Score(faces);
        var batches = new List<int>();
        using var services = Services(batchSize);
        var queue = services.GetRequiredService<ScoringQueue>();
        using var listener = ListenToBatches(services.GetRequiredService<IMeterFactory>(), batches);
        using var stop = new CancellationTokenSource();

        var waiting = faces.Select(f => queue.ScoreAsync([f], CancellationToken.None)).ToList(); // all queued before the loop runs
        var loop = queue.RunAsync(scorer, stop.Token);
        var results = await Task.WhenAll(waiting);
        stop.Cancel();
        await loop;

        Assert.Equal(expectedBatches, batches);
        for (var i = 0; i < faces.Count; i++)
        {
            Assert.Equal(alone[i]!.Predicted, results[i][0].Predicted);
            for (var c = 0; c < alone[i]!.Probabilities.Length; c++) Assert.Equal(alone[i]!.Probabilities[c], results[i][0].Probabilities[c], 5);
            Assert.Equal(alone[i]!.Glimpses, results[i][0].Glimpses, (a, b) => Math.Abs(a - b) < 1e-4);
        }
    }

    [Fact]
    public void TryAdmit_UpToCapacity_ThenNullUntilReleased()
    {
        using var services = Services(32, maxQueue: 3);
        var queue = services.GetRequiredService<ScoringQueue>();

        var two = queue.TryAdmit(2);
        var one = queue.TryAdmit(1);
        var refused = queue.TryAdmit(1);
        two!.Dispose();
        two.Dispose(); // releasing twice gives the places back once
        var again = queue.TryAdmit(2);

        Assert.NotNull(one);
        Assert.Null(refused);
        Assert.NotNull(again);
        Assert.Equal(3, queue.Admitted);
    }

    /// <summary>A preprocessed 100x100 crop with distinct content per index (no detection: the whole synthetic image).</summary>
    private static PreprocessResult Face(int seed)
    {
        using var pre = new FacePreprocessor(new PreprocessOptions { Detectors = [], NoFacePolicy = NoFacePolicy.WholeImage });
        using var image = Vision.Tests.TestImages.Synthetic(120, 100, seed);
        return pre.ProcessPixels(Vision.Tests.TestImages.Raw(image), 120, 100, 3, $"synthetic-{seed}");
    }

    private static ServiceProvider Services(int batchSize, int maxQueue = 64) => new ServiceCollection()
        .AddMetrics()
        .AddSingleton(new ServerOptions { ModelPath = ServerFactory.ShippedModel, BatchSize = batchSize, MaxQueue = maxQueue })
        .AddSingleton<ServerMetrics>()
        .AddSingleton<ScoringQueue>()
        .BuildServiceProvider();

    /// <summary>Batch sizes recorded by this provider's meters only (other test servers run in parallel).</summary>
    private static MeterListener ListenToBatches(IMeterFactory meters, List<int> batches)
    {
        var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "edram.server.batch.faces") l.EnableMeasurementEvents(instrument);
        };
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => { lock (batches) batches.Add(value); });
        listener.Start();
        return listener;
    }
}
