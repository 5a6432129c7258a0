namespace EdramFer.Video.Tests;

/// <summary>The producer thread behind <see cref="VideoAnalyzer"/>'s overlap of locating and scoring.</summary>
public class ReadAheadTests
{
    [Fact]
    public void Enumerate_EveryItemInSourceOrder()
    {
        using var ahead = new ReadAhead<int>(Enumerable.Range(0, 5000), 1, CancellationToken.None);
        Assert.Equal(Enumerable.Range(0, 5000), ahead.ToList());
    }

    [Fact]
    public void Enumerate_SourceFails_ItemsBeforeTheFailureThenTheFailure()
    {
        static IEnumerable<int> Failing()
        {
            for (var i = 0; i < 5; i++) yield return i;
            throw new InvalidDataException("truncated after frame 4");
        }
        using var ahead = new ReadAhead<int>(Failing(), 2, CancellationToken.None);
        var seen = new List<int>();
        var e = Assert.Throws<InvalidDataException>(() => { foreach (var i in ahead) seen.Add(i); });
        Assert.Equal("truncated after frame 4", e.Message);
        Assert.Equal([0, 1, 2, 3, 4], seen);
    }

    [Fact]
    public void Produce_ConsumerWaits_ProducerStaysWithinCapacity()
    {
        var produced = 0;
        IEnumerable<int> Counting()
        {
            for (var i = 0; i < 1000; i++) { Interlocked.Increment(ref produced); yield return i; }
        }
        using var ahead = new ReadAhead<int>(Counting(), 3, CancellationToken.None);
        using var items = ahead.GetEnumerator();
        Assert.True(items.MoveNext());
        // Wait until the producer stops moving: it is blocked on the full queue.
        var last = -1;
        while (Volatile.Read(ref produced) != last) { last = Volatile.Read(ref produced); Thread.Sleep(200); }
        // One taken, three queued, one in the producer's hand waiting for room.
        Assert.InRange(last, 4, 5);
    }

    [Fact]
    public void Dispose_MidStream_SourceIsClosedBeforeDisposeReturns()
    {
        var closed = false;
        IEnumerable<int> Endless()
        {
            try { for (var i = 0; ; i++) yield return i; }
            finally { closed = true; }
        }
        var ahead = new ReadAhead<int>(Endless(), 2, CancellationToken.None);
        Assert.Equal([0, 1, 2], ahead.Take(3).ToList());
        ahead.Dispose();
        Assert.True(closed);
    }

    [Fact]
    public void Enumerate_CallerCancels_OperationCanceled()
    {
        using var cancel = new CancellationTokenSource();
        using var ahead = new ReadAhead<int>(Enumerable.Range(0, int.MaxValue), 1, cancel.Token);
        var seen = 0;
        Assert.ThrowsAny<OperationCanceledException>(() =>
        {
            foreach (var _ in ahead) if (++seen == 10) cancel.Cancel();
        });
        Assert.InRange(seen, 10, 12);
    }
}
