using System.Diagnostics;
using Coord.Client.Recipes;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;
using static Coord.Client.Interop.Specs.Recipes.RecipeSpecHelpers;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>The <see cref="ReadWriteLock"/> recipe under contention, against Apache ZooKeeper and Coord.</summary>
public sealed class ReadWriteLockSpecs(ServersFixture servers, ITestOutputHelper output) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Servers.KindData;

    private const int Sessions = 8;
    private const int OpsEach = 40;

    [Theory, MemberData(nameof(Kinds))]
    public async Task Eight_sessions_never_let_a_writer_in_with_anyone_and_lose_no_write(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string lockPath = $"{await RootAsync(admin, "rwlock")}/rw";
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            int readers = 0, writers = 0, maxReaders = 0, counter = 0, writes = 0, reads = 0;
            long lastWriteToken = 0;
            var clock = Stopwatch.StartNew();
            await Task.WhenAll(clients.Select((client, i) => Task.Run(async () =>
            {
                var rw = new ReadWriteLock(client, lockPath);
                for (int n = 0; n < OpsEach; n++)
                {
                    if ((n + i) % 4 == 0)
                    {
                        await using var held = await rw.AcquireWriteAsync(Wait);
                        Assert.Equal(1, Interlocked.Increment(ref writers));
                        Assert.Equal(0, Volatile.Read(ref readers));
                        Assert.True(held.FencingToken > Volatile.Read(ref lastWriteToken));
                        Volatile.Write(ref lastWriteToken, held.FencingToken);
                        // A non-atomic read-yield-write: an overlapping holder would lose an increment.
                        int read = counter;
                        await Task.Yield();
                        counter = read + 1;
                        Interlocked.Increment(ref writes);
                        Interlocked.Decrement(ref writers);
                    }
                    else
                    {
                        await using var held = await rw.AcquireReadAsync(Wait);
                        InterlockedMax(ref maxReaders, Interlocked.Increment(ref readers));
                        Assert.Equal(0, Volatile.Read(ref writers));
                        Assert.True(held.FencingToken > Volatile.Read(ref lastWriteToken)); // after every earlier writer
                        await client.ExistsAsync(lockPath); // hold across a round trip, so readers overlap
                        Assert.Equal(0, Volatile.Read(ref writers));
                        Interlocked.Increment(ref reads);
                        Interlocked.Decrement(ref readers);
                    }
                }
            }))).WaitAsync(Wait);
            output.WriteLine($"{kind}: {reads} reads and {writes} writes by {Sessions} sessions in {clock.ElapsedMilliseconds} ms, " +
                             $"at most {maxReaders} readers together");
            Assert.Equal(Sessions * OpsEach, reads + writes);
            Assert.Equal(writes, counter);
            Assert.True(maxReaders > 1, "readers never held the lock together");
            Assert.Empty(await admin.GetChildrenAsync(lockPath));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Readers_share_the_lock_a_writer_waits_for_all_and_a_later_reader_waits_for_the_writer(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string lockPath = $"{await RootAsync(admin, "rwshare")}/rw";
        var clients = await ConnectManyAsync(server.ConnectString, Sessions);
        try
        {
            // All eight hold the read lock at once: were readers exclusive, the second would never get it.
            var reads = await Task.WhenAll(clients.Select(c => new ReadWriteLock(c, lockPath).AcquireReadAsync(Wait)));

            var writer = new ReadWriteLock(admin, lockPath).AcquireWriteAsync(Wait);
            await ChildrenAsync(admin, lockPath, c => c.Count == Sessions + 1);
            var lateReader = new ReadWriteLock(clients[0], lockPath).AcquireReadAsync(Wait);
            await ChildrenAsync(admin, lockPath, c => c.Count == Sessions + 2);

            foreach (var read in reads.Skip(1)) await read.DisposeAsync();
            await RoundTripAsync([admin, clients[0]]);
            Assert.False(writer.IsCompleted, "the writer got in while a reader held the lock");
            Assert.False(lateReader.IsCompleted, "a reader overtook a waiting writer");

            await reads[0].DisposeAsync();
            await using (var write = await writer.WaitAsync(Wait))
            {
                Assert.True(write.IsWrite);
                await RoundTripAsync([clients[0]]);
                Assert.False(lateReader.IsCompleted, "a reader got in beside the writer");
            }
            await using var late = await lateReader.WaitAsync(Wait);
            Assert.False(late.IsWrite);
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_writer_downgrades_in_place_letting_earlier_readers_in_and_later_writers_wait(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var admin = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string root = await RootAsync(admin, "rwdown");
        string lockPath = $"{root}/rw";
        var clients = await ConnectManyAsync(server.ConnectString, 3);
        try
        {
            var a = new ReadWriteLock(clients[0], lockPath);
            var aWrite = await a.AcquireWriteAsync(Wait);
            var reader = new ReadWriteLock(clients[1], lockPath);
            var readerTurn = reader.AcquireReadAsync(Wait);                            // queued behind A's write
            await ChildrenAsync(admin, lockPath, c => c.Count == 2);
            await RoundTripAsync([clients[1]]);
            Assert.False(readerTurn.IsCompleted, "a reader got in beside the writer");
            var writerTurn = new ReadWriteLock(clients[2], lockPath).AcquireWriteAsync(Wait); // queued behind the reader
            await ChildrenAsync(admin, lockPath, c => c.Count == 3);

            var aRead = await a.AcquireReadAsync(Wait).WaitAsync(Wait);               // the downgrade: at once
            Assert.EndsWith(aWrite.NodePath[^10..], aRead.NodePath);                  // in the write node's place
            Assert.Contains(ReadWriteLock.ReadName, aRead.NodePath);
            Assert.True(aRead.FencingToken > aWrite.FencingToken);
            await aWrite.DisposeAsync();
            Assert.True(a.IsReadHeld);
            Assert.False(a.IsWriteHeld);

            await using (var read = await readerTurn.WaitAsync(Wait))                 // the earlier reader shares
            {
                await Assert.ThrowsAsync<InvalidOperationException>(() => reader.AcquireWriteAsync(Wait)); // no upgrade
                await RoundTripAsync(clients);
                Assert.False(writerTurn.IsCompleted, "the later writer got in beside the readers");
            }
            // The earlier reader is gone, the downgraded one is not: the later writer moves on to watch it (wchp
            // raises no event, so it is polled, bounded) and still waits.
            await Poll.UntilAsync(async () =>
                DistributedLockSpecs.WatchedPaths(await server.FourLetterWordAsync("wchp"), root)
                    .TryGetValue(aRead.NodePath, out var watchers) && watchers.Contains(clients[2].SessionId) ? watchers : null,
                Wait, () => "the later writer did not wait for the downgraded reader");
            await RoundTripAsync(clients);
            Assert.False(writerTurn.IsCompleted, "the later writer got in beside the downgraded reader");
            await aRead.DisposeAsync();
            await using var write = await writerTurn.WaitAsync(Wait);
            Assert.Equal([RecipeNodes.Name(write.NodePath)], await admin.GetChildrenAsync(lockPath));
        }
        finally
        {
            await DisposeAllAsync(clients);
        }
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_writer_that_times_out_leaves_no_node_and_sides_re_enter(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var a = await CoordClient.ConnectAsync(server.ConnectString, Options());
        await using var b = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string lockPath = $"{await RootAsync(a, "rwtimeout")}/rw";
        var mine = new ReadWriteLock(a, lockPath);
        var outer = await mine.AcquireReadAsync(Wait);
        var inner = await mine.AcquireReadAsync(Wait);
        Assert.Equal(outer.NodePath, inner.NodePath);
        await inner.DisposeAsync();
        Assert.True(mine.IsReadHeld);

        var theirs = new ReadWriteLock(b, lockPath);
        Assert.Null(await theirs.TryAcquireWriteAsync(TimeSpan.FromMilliseconds(200)));
        await Assert.ThrowsAsync<TimeoutException>(() => theirs.AcquireWriteAsync(TimeSpan.FromMilliseconds(100)));
        await ChildrenAsync(a, lockPath, c => c.Count == 1); // a create cancelled in flight is deleted in the background
        await using (await theirs.AcquireReadAsync(Wait))
            Assert.Equal(2, (await a.GetChildrenAsync(lockPath)).Count);
        await outer.DisposeAsync();
        Assert.False(mine.IsReadHeld);
        await using var write = await theirs.AcquireWriteAsync(Wait);
        Assert.True(theirs.IsWriteHeld);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_wait_cancelled_while_its_create_is_in_flight_leaves_no_node(string kind)
    {
        var server = await servers.GetAsync(kind);
        await using var proxy = new TcpProxy(server.Host, server.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options());
        await using var direct = await CoordClient.ConnectAsync(server.ConnectString, Options());
        string lockPath = $"{await RootAsync(direct, "rwcancel")}/rw";
        await direct.CreateAsync(lockPath, null);
        var created = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Empty(await direct.GetChildrenAsync(lockPath, _ => created.TrySetResult()));

        proxy.SwallowReplies = true;
        using var cancel = new CancellationTokenSource();
        var acquiring = new ReadWriteLock(client, lockPath).AcquireWriteAsync(cancel.Token);
        await created.Task.WaitAsync(Wait); // the create was applied; its reply is being swallowed
        cancel.Cancel();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => acquiring.WaitAsync(Wait));
        var lost = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.DropAll();
        await lost;
        proxy.SwallowReplies = false;

        // The node whose name the waiter never learned is found by its GUID and deleted, not left to block others.
        await ChildrenAsync(direct, lockPath, c => c.Count == 0);
        Assert.Equal(ConnectionState.Connected, client.State);
    }
}
