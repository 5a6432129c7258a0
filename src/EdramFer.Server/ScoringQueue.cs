using System.Threading.Channels;
using EdramFer.Analysis;
using EdramFer.Vision;

namespace EdramFer.Server;

/// <summary>
/// Batches faces across concurrent requests: each request enqueues its preprocessed faces and awaits them; one loop
/// takes whatever is waiting (up to the batch size) and scores it in one ONNX Runtime call, so while one batch runs
/// the next one fills. No artificial delay: a lone request is scored at once, alone. Admission is bounded in images
/// (<see cref="TryAdmit"/>); a request that is not admitted gets 503.
/// </summary>
public sealed class ScoringQueue(ServerOptions options, ServerMetrics metrics)
{
    private readonly Channel<Work> _channel = Channel.CreateUnbounded<Work>(new UnboundedChannelOptions { SingleReader = true });
    private int _admitted;

    /// <summary>Images admitted now (being read, preprocessed, queued or scored).</summary>
    public int Admitted => Volatile.Read(ref _admitted);

    /// <summary>Most images admitted at once (<see cref="ServerOptions.MaxQueue"/>).</summary>
    public int Capacity => options.MaxQueue;

    /// <summary>Admits <paramref name="images"/> images, or returns null when that would exceed the capacity.</summary>
    public Admission? TryAdmit(int images)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(images, 1);
        while (true)
        {
            var now = Volatile.Read(ref _admitted);
            if (now + images > options.MaxQueue) return null;
            if (Interlocked.CompareExchange(ref _admitted, now + images, now) == now) return new Admission(this, images);
        }
    }

    /// <summary>Scores preprocessed faces (each with pixels) in the next batch; one trace per face, in order.</summary>
    public Task<IReadOnlyList<GlimpseTrace>> ScoreAsync(IReadOnlyList<PreprocessResult> faces, CancellationToken cancellation)
    {
        if (faces.Count == 0) return Task.FromResult<IReadOnlyList<GlimpseTrace>>([]);
        var work = new Work(faces, cancellation);
        if (!_channel.Writer.TryWrite(work)) throw new InvalidOperationException("the scoring queue is closed (the server is stopping)");
        return work.Result.Task.WaitAsync(cancellation);
    }

    /// <summary>The batching loop; runs until <paramref name="stop"/>, then fails whatever is still queued.</summary>
    internal async Task RunAsync(GlimpseScorer scorer, CancellationToken stop)
    {
        var batch = new List<Work>();
        try
        {
            while (await _channel.Reader.WaitToReadAsync(stop))
            {
                batch.Clear();
                var faces = 0;
                while (faces < options.BatchSize && _channel.Reader.TryRead(out var work))
                {
                    if (work.Cancellation.IsCancellationRequested)
                    {
                        work.Result.TrySetCanceled(work.Cancellation); // its request timed out or went away while it waited
                        continue;
                    }
                    batch.Add(work);
                    faces += work.Faces.Count;
                }
                if (batch.Count > 0) Score(scorer, batch, faces);
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
        _channel.Writer.TryComplete();
        while (_channel.Reader.TryRead(out var left)) left.Result.TrySetException(new InvalidOperationException("the server is stopping"));
    }

    private void Score(GlimpseScorer scorer, List<Work> batch, int faces)
    {
        try
        {
            var traces = scorer.Score(batch.SelectMany(w => w.Faces).ToList(), options.BatchSize);
            var next = 0;
            foreach (var work in batch)
            {
                work.Result.TrySetResult(traces.Skip(next).Take(work.Faces.Count).Select(t => t!).ToList());
                next += work.Faces.Count;
            }
            metrics.Batch(faces);
        }
        catch (Exception e)
        {
            foreach (var work in batch) work.Result.TrySetException(e);
        }
    }

    private void Release(int images) => Interlocked.Add(ref _admitted, -images);

    private sealed record Work(IReadOnlyList<PreprocessResult> Faces, CancellationToken Cancellation)
    {
        public TaskCompletionSource<IReadOnlyList<GlimpseTrace>> Result { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }

    /// <summary>A place in the queue for some images; dispose it when their response is written.</summary>
    public sealed class Admission(ScoringQueue queue, int images) : IDisposable
    {
        private int _released;

        /// <summary>Gives the places back (once).</summary>
        public void Dispose()
        {
            if (Interlocked.Exchange(ref _released, 1) == 0) queue.Release(images);
        }
    }
}
