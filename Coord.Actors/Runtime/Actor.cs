using System.Collections.Concurrent;

namespace Coord.Actors.Runtime;

/// <summary>Where an actor's messages go. The only way to talk to an actor.</summary>
public interface IActorRef<in TMessage>
{
    /// <summary>Enqueues a message; never blocks, never runs the handler on the caller's thread.</summary>
    void Tell(TMessage message);
}

/// <summary>
/// A minimal actor: a mailbox drained one message at a time on the thread pool.
/// Contract: <see cref="Receive"/> never runs concurrently with itself for one actor, and messages from one
/// sender are received in the order they were told (the mailbox is a FIFO queue). An idle actor costs a queue
/// and no thread or parked task, so tens of thousands of session actors are cheap.
/// Failure policy: an exception from <see cref="Receive"/> goes to <see cref="OnFailure"/>; the default stops
/// the actor (a broken invariant must be loud, not silently skipped).
/// </summary>
/// <remarks>
/// The kernel uses a lock-free queue plus <see cref="IThreadPoolWorkItem"/> rather than a Channel and an
/// async loop per actor: same semantics, but no task is parked per idle actor.
/// </remarks>
public abstract class Actor<TMessage> : IActorRef<TMessage>, IThreadPoolWorkItem
{
    /// <summary>Messages handled per scheduling turn before yielding the thread to other actors.</summary>
    private const int ThroughputPerTurn = 512;

    private readonly ConcurrentQueue<TMessage> _mailbox = new();
    private int _scheduled;
    private int _queued;
    private volatile bool _stopped;

    public bool IsStopped => _stopped;

    /// <summary>Messages waiting in the mailbox (approximate, for metrics and back-pressure).</summary>
    public int MailboxDepth => Volatile.Read(ref _queued);

    /// <summary>Messages told after the actor stopped.</summary>
    public long DeadLetters => Interlocked.Read(ref _deadLetters);
    private long _deadLetters;

    public void Tell(TMessage message)
    {
        if (_stopped) { Interlocked.Increment(ref _deadLetters); return; }
        _mailbox.Enqueue(message);
        Interlocked.Increment(ref _queued);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Stops the actor after the message being handled; later messages become dead letters.</summary>
    public void Stop()
    {
        if (_stopped) return;
        _stopped = true;
        try { OnStopped(); } catch (Exception ex) { OnFailure(ex); }
    }

    void IThreadPoolWorkItem.Execute()
    {
        int handled = 0;
        while (handled < ThroughputPerTurn && !_stopped && _mailbox.TryDequeue(out var message))
        {
            Interlocked.Decrement(ref _queued);
            handled++;
            try { Receive(message); }
            catch (Exception ex) { OnFailure(ex); }
        }
        if (!_stopped)
        {
            try { OnMailboxDrained(); }
            catch (Exception ex) { OnFailure(ex); }
        }
        Volatile.Write(ref _scheduled, 0);
        // A message may have arrived between the last TryDequeue and releasing the flag.
        if (!_stopped && !_mailbox.IsEmpty && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    /// <summary>Handles one message. Must not block; asynchronous work reports back with a message.</summary>
    protected abstract void Receive(TMessage message);

    /// <summary>Called at the end of every scheduling turn; the place to flush batched work (group commit).</summary>
    protected virtual void OnMailboxDrained() { }

    protected virtual void OnStopped() { }

    /// <summary>Default policy: stop. Override to log, restart state or escalate.</summary>
    protected virtual void OnFailure(Exception error) => Stop();
}

/// <summary>Request/reply on top of Tell: the message carries a completion the actor fulfils.</summary>
public static class ActorAsk
{
    public static Task<TReply> Ask<TMessage, TReply>(
        this IActorRef<TMessage> actor, Func<TaskCompletionSource<TReply>, TMessage> build, TimeSpan timeout)
    {
        var tcs = new TaskCompletionSource<TReply>(TaskCreationOptions.RunContinuationsAsynchronously);
        actor.Tell(build(tcs));
        return tcs.Task.WaitAsync(timeout);
    }
}
