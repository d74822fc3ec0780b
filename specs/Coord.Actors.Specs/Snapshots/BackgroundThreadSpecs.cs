using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Snapshots;

public sealed class BackgroundThreadSpecs
{
    [Fact]
    public async Task The_work_runs_on_its_own_thread_and_its_result_comes_back()
    {
        int caller = Environment.CurrentManagedThreadId;
        var (value, thread, name) = await BackgroundThread.RunLowPriority("spec-bg",
            () => (42, Environment.CurrentManagedThreadId, Thread.CurrentThread.Name)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(42, value);
        Assert.NotEqual(caller, thread);
        Assert.Equal("spec-bg", name);
    }

    [Fact]
    public async Task An_exception_faults_the_task()
    {
        var task = BackgroundThread.RunLowPriority<int>("spec-bg", () => throw new IOException("disk full"));
        var e = await Assert.ThrowsAsync<IOException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("disk full", e.Message);
    }

    [Fact]
    public async Task On_linux_the_thread_runs_at_a_higher_nice_value_than_the_caller()
    {
        if (!OperatingSystem.IsLinux()) return;
        static int Nice() => int.Parse(File.ReadAllText("/proc/thread-self/stat").Split(')')[1].Split(' ', StringSplitOptions.RemoveEmptyEntries)[16]);
        int mine = Nice();
        int theirs = await BackgroundThread.RunLowPriority("spec-bg", Nice).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Math.Min(19, mine + BackgroundThread.NiceIncrement), theirs);
    }
}
