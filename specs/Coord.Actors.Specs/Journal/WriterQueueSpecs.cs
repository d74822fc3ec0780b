using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Journal;

/// <summary>The journal writer's queue: FIFO, bounded, a waiting consumer wakes on an item, and completion drains.</summary>
public sealed class WriterQueueSpecs
{
    [Fact]
    public void Items_come_out_in_the_order_they_went_in_and_a_full_queue_refuses_more()
    {
        var q = new WriterQueue<string>(3);
        Assert.True(q.TryAdd("a"));
        Assert.True(q.TryAdd("b"));
        Assert.True(q.TryAdd("c"));
        Assert.False(q.TryAdd("d"));
        q.CompleteAdding();
        Assert.Equal(["a", "b", "c"], q.GetConsumingEnumerable().ToArray());
    }

    [Fact]
    public void After_completion_nothing_is_taken_and_what_was_queued_is_still_drained()
    {
        var q = new WriterQueue<string>(4);
        Assert.True(q.TryAdd("a"));
        q.CompleteAdding();
        Assert.True(q.IsAddingCompleted);
        Assert.False(q.TryAdd("b"));
        Assert.Equal(["a"], q.GetConsumingEnumerable().ToArray());
    }

    [Fact]
    public async Task A_consumer_waiting_on_an_empty_queue_takes_each_item_as_it_is_added_and_ends_at_completion()
    {
        var q = new WriterQueue<string>(2);
        var taken = new List<string>();
        using var tookOne = new SemaphoreSlim(0);
        var consumer = Task.Factory.StartNew(() =>
        {
            foreach (var item in q.GetConsumingEnumerable())
            {
                lock (taken) taken.Add(item);
                tookOne.Release();
            }
        }, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

        for (int i = 0; i < 100; i++)
        {
            Assert.True(q.TryAdd($"r{i}"));
            Assert.True(await tookOne.WaitAsync(TimeSpan.FromSeconds(10)), $"the consumer did not take r{i}");
        }
        q.CompleteAdding();
        await consumer.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Equal(Enumerable.Range(0, 100).Select(i => $"r{i}"), taken);
    }
}
