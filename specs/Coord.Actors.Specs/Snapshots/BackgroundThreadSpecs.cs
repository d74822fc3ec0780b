using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Snapshots;

public sealed class BackgroundThreadSpecs
{
    [Fact]
    public async Task The_work_runs_on_its_own_thread_and_its_result_comes_back()
    {
        int caller = Environment.CurrentManagedThreadId;
        var (value, thread, name) = await BackgroundThread.Run("spec-bg",
            () => (42, Environment.CurrentManagedThreadId, Thread.CurrentThread.Name)).WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(42, value);
        Assert.NotEqual(caller, thread);
        Assert.Equal("spec-bg", name);
    }

    [Fact]
    public async Task An_exception_faults_the_task()
    {
        var task = BackgroundThread.Run<int>("spec-bg", () => throw new IOException("disk full"));
        var e = await Assert.ThrowsAsync<IOException>(() => task.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal("disk full", e.Message);
    }
}
