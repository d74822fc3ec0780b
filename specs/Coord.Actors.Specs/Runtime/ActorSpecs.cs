using Coord.Actors.Runtime;

namespace Coord.Actors.Specs.Runtime;

public sealed class ActorSpecs
{
    private sealed class Recorder(int expected) : Actor<int>
    {
        private int _inside;
        public readonly List<int> Seen = new();
        public bool Overlapped;
        public int Drains;
        public readonly TaskCompletionSource Done = new(TaskCreationOptions.RunContinuationsAsynchronously);

        protected override void Receive(int message)
        {
            if (Interlocked.Increment(ref _inside) != 1) Overlapped = true;
            Seen.Add(message);
            Interlocked.Decrement(ref _inside);
            if (message == -1) throw new InvalidOperationException("boom");
            if (Seen.Count == expected) Done.TrySetResult();
        }

        protected override void OnMailboxDrained() => Drains++;

        public readonly TaskCompletionSource Stopped = new(TaskCreationOptions.RunContinuationsAsynchronously);
        protected override void OnStopped() => Stopped.TrySetResult();
    }

    [Fact]
    public async Task Messages_from_one_sender_arrive_in_order_and_never_concurrently()
    {
        var actor = new Recorder(100_000);
        for (int i = 0; i < 100_000; i++) actor.Tell(i);
        await actor.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(actor.Overlapped);
        Assert.Equal(Enumerable.Range(0, 100_000), actor.Seen);
        Assert.True(actor.Drains >= 1);
    }

    [Fact]
    public async Task Concurrent_senders_never_run_the_handler_concurrently()
    {
        var actor = new Recorder(40_000);
        await Task.WhenAll(Enumerable.Range(0, 4).Select(s => Task.Run(() =>
        {
            for (int i = 0; i < 10_000; i++) actor.Tell(s * 10_000 + i);
        })));
        await actor.Done.Task.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(actor.Overlapped);
        for (int s = 0; s < 4; s++)
        {
            var mine = actor.Seen.Where(v => v / 10_000 == s).ToList();
            Assert.Equal(Enumerable.Range(s * 10_000, 10_000), mine);
        }
    }

    [Fact]
    public async Task A_failing_handler_stops_the_actor_and_later_messages_become_dead_letters()
    {
        var actor = new Recorder(int.MaxValue);
        actor.Tell(1);
        actor.Tell(-1);
        actor.Tell(2);
        await actor.Stopped.Task.WaitAsync(TimeSpan.FromSeconds(5));
        actor.Tell(3);
        Assert.DoesNotContain(3, actor.Seen);
        Assert.True(actor.DeadLetters >= 1);
    }

    private sealed class Echo : Actor<TaskCompletionSource<int>>
    {
        protected override void Receive(TaskCompletionSource<int> message) => message.TrySetResult(42);
    }

    [Fact]
    public async Task Ask_returns_the_reply()
    {
        var actor = new Echo();
        Assert.Equal(42, await actor.Ask<TaskCompletionSource<int>, int>(tcs => tcs, TimeSpan.FromSeconds(5)));
    }
}
