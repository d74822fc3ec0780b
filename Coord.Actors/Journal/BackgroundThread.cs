namespace Coord.Actors.Journal;

/// <summary>
/// Runs rare, long, CPU-heavy background work (a snapshot) on a dedicated thread, so that it does not hold
/// a pool thread for seconds while the pool's I/O completions and actor turns need them.
/// <para>
/// The thread keeps normal priority on purpose. Lowering it (nice +5 on Linux) was tried and measured:
/// under a create-heavy load on a busy 2-core machine, write p99.9 rose from 98–130 ms to 172–247 ms
/// (4 runs of each, back to back; the machine was noisy, but all 4 went the same way). The likely cause: a
/// garbage collection stops every managed thread at a safe point before it runs, the snapshot thread
/// included; a thread that gets less CPU reaches that point later, and every writer waits for it.
/// </para>
/// </summary>
public static class BackgroundThread
{
    public static Task<T> Run<T>(string name, Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try { done.SetResult(work()); }
            catch (Exception ex) { done.SetException(ex); }
        })
        {
            IsBackground = true,
            Name = name,
        };
        thread.Start();
        return done.Task;
    }
}
