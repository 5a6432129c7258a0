using System.Collections;
using System.Collections.Concurrent;
using System.Runtime.ExceptionServices;

namespace EdramFer.Video;

/// <summary>
/// Enumerates <c>source</c> on a thread of its own, at most <c>capacity</c> items ahead of the consumer, in order.
/// An exception of the source reaches the consumer after the items produced before it; disposing stops the producer
/// and waits for it, so nothing the source uses is touched after the consumer lets go of it.
/// </summary>
internal sealed class ReadAhead<T> : IEnumerable<T>, IDisposable
{
    private readonly BlockingCollection<T> _queue;
    private readonly CancellationTokenSource _stop;
    private readonly Task _producer;
    private Exception? _failure;

    /// <summary>Starts producing at once; <paramref name="cancel"/> stops the producer between items.</summary>
    public ReadAhead(IEnumerable<T> source, int capacity, CancellationToken cancel)
    {
        _queue = new BlockingCollection<T>(capacity);
        _stop = CancellationTokenSource.CreateLinkedTokenSource(cancel);
        _producer = Task.Factory.StartNew(() => Produce(source), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private void Produce(IEnumerable<T> source)
    {
        try
        {
            foreach (var item in source) _queue.Add(item, _stop.Token);
        }
        catch (Exception e)
        {
            // The source's failure, or cancellation by Dispose or the caller's token: handed to the consumer in order.
            _failure = e;
        }
        finally
        {
            _queue.CompleteAdding();
        }
    }

    /// <summary>The items in source order; rethrows the source's exception after the last item it produced.</summary>
    public IEnumerator<T> GetEnumerator()
    {
        foreach (var item in _queue.GetConsumingEnumerable()) yield return item;
        _producer.Wait();
        if (_failure is not null) ExceptionDispatchInfo.Capture(_failure).Throw();
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Stops the producer (its current item is finished and dropped) and waits for it.</summary>
    public void Dispose()
    {
        _stop.Cancel();
        _producer.Wait(); // Produce records every exception, so this does not throw.
        _queue.Dispose();
        _stop.Dispose();
    }
}
