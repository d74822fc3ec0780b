namespace Coord.Actors.Journal;

/// <summary>
/// The journal writer thread's bounded FIFO of requests. A waiting writer blocks on a monitor without spinning:
/// BlockingCollection's take spins (and calls sched_yield) before it blocks, and a writer that waits after every
/// batch did that hundreds of times a second, a sixth of a member's syscalls under load on a small machine.
/// </summary>
internal sealed class WriterQueue<T>(int capacity) where T : class
{
    // A plain object, not a Lock: the consumer waits on it with Monitor.Wait.
    private readonly object _gate = new();
    private readonly Queue<T> _items = new(capacity);
    private bool _completed;

    public bool IsAddingCompleted
    {
        get { lock (_gate) return _completed; }
    }

    /// <summary>Queues <paramref name="item"/>; false when the queue is full or no longer takes items.</summary>
    public bool TryAdd(T item)
    {
        lock (_gate)
        {
            if (_completed || _items.Count >= capacity) return false;
            _items.Enqueue(item);
            if (_items.Count == 1) Monitor.PulseAll(_gate);
            return true;
        }
    }

    /// <summary>No more items: the consumer drains what is queued and its enumeration ends.</summary>
    public void CompleteAdding()
    {
        lock (_gate)
        {
            _completed = true;
            Monitor.PulseAll(_gate);
        }
    }

    /// <summary>Takes items in order, waiting while the queue is empty, until it is completed and drained.</summary>
    public IEnumerable<T> GetConsumingEnumerable()
    {
        while (true)
        {
            T item;
            lock (_gate)
            {
                while (_items.Count == 0)
                {
                    if (_completed) yield break;
                    Monitor.Wait(_gate);
                }
                item = _items.Dequeue();
            }
            yield return item;
        }
    }
}
