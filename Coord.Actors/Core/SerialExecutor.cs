using System.Collections.Concurrent;
using Akka.Configuration;
using Akka.Dispatch;

namespace Coord.Actors.Core;

/// <summary>
/// An Akka executor that runs what it is given one at a time, in order, on the .NET thread pool (Java's
/// SerialExecutor). The actors of a dispatcher using it never run at once, which is what the core needs (see
/// <see cref="CoreConfig.CoreDispatcherId"/>), without a dedicated thread that spins or sleeps while idle.
/// </summary>
public sealed class SerialExecutorFactory(Config config, IDispatcherPrerequisites prerequisites)
    : ExecutorServiceConfigurator(config, prerequisites)
{
    public override ExecutorService Produce(string id) => new SerialExecutor(id);
}

/// <summary>See <see cref="SerialExecutorFactory"/>. Happens-before from one task to the next through the queue and the flag.</summary>
public sealed class SerialExecutor(string id) : ExecutorService(id), IThreadPoolWorkItem
{
    /// <summary>Tasks (mailbox turns) run per pool work item before the thread is handed back, for fairness.</summary>
    private const int TasksPerTurn = 64;

    private readonly ConcurrentQueue<IRunnable> _tasks = new();
    private int _scheduled;

    public override void Execute(IRunnable run)
    {
        _tasks.Enqueue(run);
        if (Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    void IThreadPoolWorkItem.Execute()
    {
        for (int i = 0; i < TasksPerTurn && _tasks.TryDequeue(out var run); i++) run.Run();
        Volatile.Write(ref _scheduled, 0);
        // A task may have arrived between the last TryDequeue and releasing the flag.
        if (!_tasks.IsEmpty && Interlocked.CompareExchange(ref _scheduled, 1, 0) == 0)
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
    }

    public override void Shutdown() { }
}
