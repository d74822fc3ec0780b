using System.Runtime.InteropServices;

namespace Coord.Actors.Journal;

/// <summary>
/// Runs rare, long, CPU-heavy background work (a snapshot) on a dedicated thread at lower scheduling
/// priority, so that on a busy machine the threads that apply and answer writes win the CPU. A pool thread
/// is not used: its priority could not be restored afterwards (on Linux raising a nice value is one-way
/// without privileges), and a long job would hold a pool thread the I/O completions need.
/// <para>
/// On Linux the thread's nice value is raised by <see cref="NiceIncrement"/> (setpriority on the thread
/// id; CoreCLR ignores <see cref="Thread.Priority"/> there). Elsewhere <see cref="ThreadPriority.BelowNormal"/>.
/// Failure to lower the priority is not an error: the work runs at normal priority.
/// </para>
/// </summary>
public static class BackgroundThread
{
    /// <summary>Nice 5: about a third of a normal thread's CPU share when both want the same core.</summary>
    public const int NiceIncrement = 5;

    public static Task<T> RunLowPriority<T>(string name, Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var done = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            LowerThisThread();
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

    private static void LowerThisThread()
    {
        try
        {
            if (OperatingSystem.IsLinux())
            {
                int tid = Linux.GetTid();
                _ = Linux.SetPriority(Linux.PrioProcess, tid, Linux.GetPriority(Linux.PrioProcess, tid) + NiceIncrement);
            }
            else
            {
                Thread.CurrentThread.Priority = ThreadPriority.BelowNormal;
            }
        }
        catch (Exception ex) when (ex is EntryPointNotFoundException or DllNotFoundException or PlatformNotSupportedException) { }
    }

    // DllImport rather than LibraryImport: the generated stubs need unsafe code, which this project does not enable.
    private static class Linux
    {
        public const int PrioProcess = 0; // with a thread id, Linux applies it to that thread alone

        [DllImport("libc", EntryPoint = "gettid")]
        public static extern int GetTid();

        [DllImport("libc", EntryPoint = "getpriority", SetLastError = true)]
        public static extern int GetPriority(int which, int who);

        [DllImport("libc", EntryPoint = "setpriority", SetLastError = true)]
        public static extern int SetPriority(int which, int who, int prio);
    }
}
