using Coord.Client;
using Coord.Protocol;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs;

/// <summary>Every API call with its Stat and result, against Apache ZooKeeper and against Coord.</summary>
public sealed class ApiSpecs(ServersFixture servers) : IClassFixture<ServersFixture>
{
    public static TheoryData<string> Kinds => Coord.Interop.Specs.Harness.Servers.KindData;

    private async Task<CoordClient> ConnectAsync(string kind, string suffix = "") =>
        await CoordClient.ConnectAsync((await servers.GetAsync(kind)).ConnectString + suffix, Options());

    [Theory, MemberData(nameof(Kinds))]
    public async Task Crud_calls_return_their_results_and_stats(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "crud");

        var created = await client.CreateWithStatAsync($"{root}/a", Bytes("one"));
        Assert.Equal($"{root}/a", created.Path);
        Assert.Equal(0, created.Stat!.Value.Version);
        Assert.Equal(3, created.Stat.Value.DataLength);
        Assert.Equal(created.Stat.Value.Czxid, created.Stat.Value.Mzxid);

        var (data, stat) = await client.GetDataAsync($"{root}/a");
        Assert.Equal("one", System.Text.Encoding.UTF8.GetString(data));
        Assert.Equal(created.Stat, stat);

        var set = await client.SetDataAsync($"{root}/a", Bytes("two!"), version: 0);
        Assert.Equal(1, set.Version);
        Assert.Equal(4, set.DataLength);
        Assert.True(set.Mzxid > stat.Mzxid);
        Assert.Equal(set, await client.ExistsAsync($"{root}/a"));
        Assert.Null(await client.ExistsAsync($"{root}/missing"));

        var seq1 = await client.CreateAsync($"{root}/s-", null, mode: CreateMode.PersistentSequential);
        var seq2 = await client.CreateAsync($"{root}/s-", null, mode: CreateMode.PersistentSequential);
        Assert.Matches(@"/s-\d{10}$", seq1);
        Assert.True(string.CompareOrdinal(seq1, seq2) < 0);

        var children = await client.GetChildrenWithStatAsync(root);
        Assert.Equal(["a", seq1[(root.Length + 1)..], seq2[(root.Length + 1)..]], children.Children.Order().ToArray());
        Assert.Equal(3, children.Stat.NumChildren);
        Assert.Equal(3, children.Stat.Cversion);
        Assert.Equal(3, (await client.GetChildrenAsync(root)).Count);

        var eph = await client.CreateAsync($"{root}/e", null, mode: CreateMode.Ephemeral);
        Assert.Equal(client.SessionId, (await client.ExistsAsync(eph))!.Value.EphemeralOwner);
        Assert.Contains(eph, await client.GetEphemeralsAsync(root));
        Assert.Equal(4, await client.GetAllChildrenNumberAsync(root));

        var acl = await client.GetAclAsync($"{root}/a");
        Assert.Equal(Acl.OpenAclUnsafe, acl.Acl);
        var aclStat = await client.SetAclAsync($"{root}/a", Acl.ReadAclUnsafe, aclVersion: 0);
        Assert.Equal(1, aclStat.Aversion);
        Assert.Equal(Acl.ReadAclUnsafe, (await client.GetAclAsync($"{root}/a")).Acl);

        await client.SyncAsync(root);
        await client.DeleteAsync($"{root}/a", version: 1);
        Assert.Null(await client.ExistsAsync($"{root}/a"));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Auth_is_added_and_reported_by_whoami(string kind)
    {
        await using var client = await ConnectAsync(kind);
        await client.AddAuthAsync("digest", "alice:secret");
        var who = await client.WhoAmIAsync();
        Assert.Contains(who, i => i.AuthScheme == "digest" && i.User == "alice");
        string root = await RootAsync(client, "auth");
        await client.CreateAsync($"{root}/mine", null, Acl.CreatorAllAcl);

        await using var other = await ConnectAsync(kind);
        await Assert.ThrowsAsync<NoAuthException>(() => other.GetDataAsync($"{root}/mine"));
        await other.AddAuthAsync("digest", "alice:secret");
        await other.GetDataAsync($"{root}/mine");
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Transaction_commits_all_ops_and_multiread_reads_several(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "txn");
        await client.CreateAsync($"{root}/old", Bytes("x"));

        var results = await client.Transaction()
            .Create($"{root}/new", Bytes("n"))
            .SetData($"{root}/old", Bytes("y"), 0)
            .Check($"{root}/old", 1)
            .Delete($"{root}/new")
            .CommitAsync();
        Assert.IsType<OpResult.Create>(results[0]);
        Assert.Equal($"{root}/new", ((OpResult.Create)results[0]).Path);
        Assert.Equal(1, Assert.IsType<OpResult.SetData>(results[1]).Stat.Version);
        Assert.IsType<OpResult.Check>(results[2]);
        Assert.IsType<OpResult.Delete>(results[3]);

        var reads = await client.MultiReadAsync([ReadOp.GetData($"{root}/old"), ReadOp.GetChildren(root), ReadOp.GetData($"{root}/none")]);
        Assert.Equal("y", System.Text.Encoding.UTF8.GetString(Assert.IsType<OpResult.GetData>(reads[0]).Data));
        Assert.Equal(["old"], Assert.IsType<OpResult.GetChildren>(reads[1]).Children);
        Assert.Equal(ErrorCode.NoNode, Assert.IsType<OpResult.Error>(reads[2]).Code);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Failed_transaction_carries_every_ops_result_and_applies_nothing(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "txnfail");
        var failure = await Assert.ThrowsAsync<TransactionFailedException>(() => client.Transaction()
            .Create($"{root}/a", null)
            .SetData($"{root}/missing", null)
            .Create($"{root}/b", null)
            .CommitAsync());
        Assert.Equal(ErrorCode.NoNode, failure.Code);
        Assert.Equal(1, failure.FailedIndex);
        Assert.Equal($"{root}/missing", failure.Path);
        Assert.Equal([ErrorCode.Ok, ErrorCode.NoNode, ErrorCode.RuntimeInconsistency], failure.Results.Select(r => r.Code).ToArray());
        Assert.Null(await client.ExistsAsync($"{root}/a"));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Error_codes_map_to_their_exception_types(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "errors");
        await client.CreateAsync($"{root}/n", null);
        var eph = await client.CreateAsync($"{root}/e", null, mode: CreateMode.Ephemeral);
        await client.CreateAsync($"{root}/n/child", null);

        var noNode = await Assert.ThrowsAsync<NoNodeException>(() => client.GetDataAsync($"{root}/none"));
        Assert.Equal($"{root}/none", noNode.Path);
        Assert.Equal(ErrorCode.NoNode, noNode.Code);
        await Assert.ThrowsAsync<NoNodeException>(() => client.CreateAsync($"{root}/none/x", null));
        await Assert.ThrowsAsync<NodeExistsException>(() => client.CreateAsync($"{root}/n", null));
        await Assert.ThrowsAsync<BadVersionException>(() => client.SetDataAsync($"{root}/n", null, version: 7));
        await Assert.ThrowsAsync<BadVersionException>(() => client.DeleteAsync($"{root}/n/child", version: 3));
        await Assert.ThrowsAsync<NotEmptyException>(() => client.DeleteAsync($"{root}/n"));
        await Assert.ThrowsAsync<NoChildrenForEphemeralsException>(() => client.CreateAsync($"{eph}/x", null));
        await Assert.ThrowsAsync<InvalidAclException>(() => client.CreateAsync($"{root}/bad", null, []));
        await Assert.ThrowsAsync<NoWatcherException>(() => client.RemoveWatchesAsync($"{root}/n", WatcherType.Data));
        await client.SetAclAsync($"{root}/n", [new Acl(Perms.Read, Id.Anyone)]);
        await Assert.ThrowsAsync<NoAuthException>(() => client.SetDataAsync($"{root}/n", null));
        await Assert.ThrowsAsync<ArgumentException>(() => client.GetDataAsync("no-slash"));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Ttl_and_container_nodes_are_created(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "modes");
        var ttl = await client.CreateWithStatAsync($"{root}/ttl", Bytes("t"), mode: CreateMode.PersistentWithTtl, ttl: TimeSpan.FromMinutes(5));
        Assert.Equal($"{root}/ttl", ttl.Path);
        Assert.NotNull(ttl.Stat);
        var seqTtl = await client.CreateAsync($"{root}/st-", null, mode: CreateMode.PersistentSequentialWithTtl, ttl: TimeSpan.FromMinutes(5));
        Assert.Matches(@"/st-\d{10}$", seqTtl);
        var container = await client.CreateWithStatAsync($"{root}/box", null, mode: CreateMode.Container);
        Assert.Equal($"{root}/box", container.Path);
        await client.CreateAsync($"{root}/box/item", null);
        Assert.Equal(1, (await client.ExistsAsync($"{root}/box"))!.Value.NumChildren);
        await Assert.ThrowsAsync<ArgumentException>(() => client.CreateAsync($"{root}/x", null, mode: CreateMode.PersistentWithTtl));
        var txn = await client.Transaction().Create($"{root}/ttl2", null, mode: CreateMode.PersistentWithTtl, ttl: TimeSpan.FromMinutes(1)).CommitAsync();
        Assert.Equal($"{root}/ttl2", Assert.IsType<OpResult.Create>(txn[0]).Path);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task Chroot_is_applied_to_paths_in_and_removed_from_paths_out(string kind)
    {
        await using var plain = await ConnectAsync(kind);
        string root = await RootAsync(plain, "chroot");
        await using var client = await ConnectAsync(kind, root);
        Assert.Equal(root, client.Chroot);

        var fired = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
        Assert.Null(await client.ExistsAsync("/a", e => fired.TrySetResult(e)));
        Assert.Equal("/a", await client.CreateAsync("/a", Bytes("x")));
        var ev = await fired.Task.WaitAsync(Wait);
        Assert.Equal(new WatchedEvent(EventType.NodeCreated, KeeperState.SyncConnected, "/a"), ev);
        Assert.NotNull(await plain.ExistsAsync($"{root}/a"));
        Assert.Equal(["a"], await client.GetChildrenAsync("/"));
        var seq = await client.CreateAsync("/a/q-", null, mode: CreateMode.EphemeralSequential);
        Assert.StartsWith("/a/q-", seq);
        Assert.Equal([seq], await client.GetEphemeralsAsync("/"));
        var txn = await client.Transaction().Create("/b", null).CommitAsync();
        Assert.Equal("/b", ((OpResult.Create)txn[0]).Path);
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_thousand_pipelined_calls_complete_in_the_order_they_were_issued(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "pipe");
        const int count = 1000;
        var tasks = new Task<string>[count];
        var outOfOrder = 0;
        for (int i = 0; i < count; i++)
        {
            int index = i;
            tasks[i] = client.CreateAsync($"{root}/n-", null, mode: CreateMode.PersistentSequential);
            // When call i completes, every earlier call has completed already (replies are matched FIFO by xid).
            _ = tasks[i].ContinueWith(_ =>
            {
                for (int j = 0; j < index; j++)
                {
                    if (!tasks[j].IsCompleted) Interlocked.Increment(ref outOfOrder);
                }
            }, TaskScheduler.Default);
        }
        var paths = await Task.WhenAll(tasks).WaitAsync(Wait);
        Assert.Equal(0, outOfOrder);
        for (int i = 1; i < count; i++) Assert.True(string.CompareOrdinal(paths[i - 1], paths[i]) < 0, $"{paths[i - 1]} !< {paths[i]}");
        Assert.Equal(count, await client.GetAllChildrenNumberAsync(root));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task A_cancelled_call_is_dropped_and_later_replies_still_match(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "cancel");
        await client.CreateAsync($"{root}/n", Bytes("v"));
        using var cts = new CancellationTokenSource();
        var calls = Enumerable.Range(0, 200).Select(_ => client.GetDataAsync($"{root}/n", ct: cts.Token)).ToList();
        cts.Cancel();
        foreach (var call in calls)
        {
            try
            {
                Assert.Equal("v", System.Text.Encoding.UTF8.GetString((await call).Data));
            }
            catch (OperationCanceledException)
            {
                Assert.True(call.IsCanceled);
            }
        }
        Assert.Contains(calls, c => c.IsCanceled);
        // The dropped replies did not shift the xid matching: the next calls get their own answers.
        Assert.Equal(1, (await client.SetDataAsync($"{root}/n", Bytes("w"))).Version);
        Assert.Equal("w", System.Text.Encoding.UTF8.GetString((await client.GetDataAsync($"{root}/n")).Data));
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => client.GetDataAsync($"{root}/n", ct: cts.Token));
    }

    [Theory, MemberData(nameof(Kinds))]
    public async Task One_shot_watches_fire_once_and_can_be_removed(string kind)
    {
        await using var client = await ConnectAsync(kind);
        string root = await RootAsync(client, "oneshot");
        await client.CreateAsync($"{root}/n", null);
        var events = System.Threading.Channels.Channel.CreateUnbounded<WatchedEvent>();
        await client.GetDataAsync($"{root}/n", e => events.Writer.TryWrite(e));
        await client.GetChildrenAsync(root, e => events.Writer.TryWrite(e));
        await client.SetDataAsync($"{root}/n", Bytes("1"));
        await client.SetDataAsync($"{root}/n", Bytes("2"));
        Assert.Equal(new WatchedEvent(EventType.NodeDataChanged, KeeperState.SyncConnected, $"{root}/n"), await events.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        await client.RemoveWatchesAsync(root, WatcherType.Children);
        Assert.Equal(new WatchedEvent(EventType.ChildWatchRemoved, KeeperState.SyncConnected, root), await events.Reader.ReadAsync().AsTask().WaitAsync(Wait));
        await client.CreateAsync($"{root}/m", null);
        await client.SyncAsync(root);
        Assert.False(events.Reader.TryRead(out var extra), $"unexpected {extra}");

        var persistent = System.Threading.Channels.Channel.CreateUnbounded<WatchedEvent>();
        await client.AddWatchAsync($"{root}/m", AddWatchMode.Persistent, e => persistent.Writer.TryWrite(e));
        await client.SetDataAsync($"{root}/m", Bytes("1"));
        await client.SetDataAsync($"{root}/m", Bytes("2"));
        for (int i = 0; i < 2; i++)
            Assert.Equal(EventType.NodeDataChanged, (await persistent.Reader.ReadAsync().AsTask().WaitAsync(Wait)).Type);
    }
}
