using System.Text;
using Coord.Actors.Journal;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Host.Specs.Server;

namespace Coord.Host.Specs.Durability;

/// <summary>
/// A live server over <see cref="FaultInjectingJournal"/>: lost un-fsynced appends and a torn last write
/// never lose an acknowledged write and never stop the next start; an I/O error on append or fsync stops
/// the server from acknowledging anything further (clients see the connection close), and what it could
/// not confirm is after a restart either wholly there or wholly absent — never half a multi.
/// </summary>
public sealed class FaultSpecs : IDisposable
{
    private const int Clients = 6;
    private const int WritesPerClient = 20;
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly DataDir _dir = new();

    public void Dispose() => _dir.Dispose();

    [Fact]
    public async Task Losing_unsynced_appends_in_a_crash_loses_no_acknowledged_write_and_the_server_boots()
    {
        var (acked, unacked, handedBeforeCrash, firstHeld) = await CrashWithHeldAppendsAsync(j => j.DropUnsyncedOnCrash());

        await using var restarted = await _dir.StartAsync();
        Assert.True(restarted.Recovered!.LastZxid < firstHeld,
            $"recovered through 0x{restarted.Recovered.LastZxid:x}, but everything from 0x{firstHeld:x} was never synced (handed through 0x{handedBeforeCrash:x})");
        await using var c = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        await AssertPresentAsync(c, acked);
        foreach (var (a, b) in unacked)
        {
            Assert.Null(await c.GetAsync(a));
            Assert.Null(await c.GetAsync(b));
        }
    }

    [Fact]
    public async Task A_torn_last_write_is_truncated_at_start_and_no_acknowledged_write_is_lost()
    {
        var (acked, unacked, tornZxid, _) = await CrashWithHeldAppendsAsync(j => j.TearLastWrite());

        await using var restarted = await _dir.StartAsync();
        Assert.True(restarted.Recovered!.LastZxid < tornZxid,
            $"recovered through 0x{restarted.Recovered.LastZxid:x}: the torn txn 0x{tornZxid:x} must have been dropped");
        await using var c = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        await AssertPresentAsync(c, acked);
        int absent = 0;
        foreach (var pair in unacked) absent += await AssertWholeOrAbsentAsync(c, pair) ? 0 : 1;
        Assert.True(absent > 0, "the torn multi must be absent");
    }

    [Fact]
    public async Task A_failed_append_closes_every_connection_acknowledges_nothing_and_stops_the_server()
    {
        await AssertIoErrorStopsTheServerAsync(j => j.FailNextAppend(new IOException("injected EIO on write")));
    }

    [Fact]
    public async Task A_failed_fsync_closes_every_connection_acknowledges_nothing_and_stops_the_server()
    {
        await AssertIoErrorStopsTheServerAsync(j => j.FailNextFsync(new IOException("injected EIO on fsync")));
    }

    /// <summary>
    /// Acknowledged load while every held append is synced as it arrives; then syncing stops, each client
    /// sends a 2-node multi (held, never acknowledged), and the journal crashes. Returns the acknowledged
    /// nodes, the unacknowledged multis, the last zxid handed to the journal and the first zxid held.
    /// </summary>
    private async Task<(Dictionary<string, (string Data, int Version)> Acked, List<(string, string)> Unacked, long LastHanded, long FirstHeld)>
        CrashWithHeldAppendsAsync(Action<FaultInjectingJournal> arm)
    {
        SyncedByHand? journal = null;
        var server = await _dir.StartAsync(openJournal: (dir, log) => journal = new SyncedByHand(FaultInjectingJournal.OverSqlite(dir, log)));
        try
        {
            arm(journal!.Fault);
            using var stopSync = new CancellationTokenSource();
            var syncLoop = journal.RunSyncLoopAsync(stopSync.Token);
            var clients = await ConnectAsync(server);
            var acked = await AcknowledgedLoadAsync(clients);

            stopSync.Cancel();
            await syncLoop.WaitAsync(Bound);
            journal.ForgetAnnouncements();
            long firstHeld = journal.LastHandedZxid + 1;
            var unacked = new List<(string, string)>();
            var xids = new int[clients.Length];
            for (int i = 0; i < clients.Length; i++)
            {
                var pair = ($"/held{i}a", $"/held{i}b");
                unacked.Add(pair);
                xids[i] = await clients[i].SendAsync(OpCode.Multi, CreateBoth(pair, "held"));
            }
            await journal.WaitUntilHeldAsync(Bound);
            long handed = journal.LastHandedZxid;

            await journal.Fault.SimulateCrashAsync();

            await server.Failed.WaitAsync(Bound);
            for (int i = 0; i < clients.Length; i++)
                await AssertClosedWithoutOkAsync(clients[i], xids[i]);
            foreach (var c in clients) await c.DisposeAsync();
            return (acked, unacked, handed, firstHeld);
        }
        finally
        {
            await server.DisposeAsync();
        }
    }

    private async Task AssertIoErrorStopsTheServerAsync(Action<FaultInjectingJournal> arm)
    {
        FaultInjectingJournal? fault = null;
        Dictionary<string, (string Data, int Version)> acked;
        var pair = ("/failed-a", "/failed-b");
        await using (var server = await _dir.StartAsync(openJournal: (dir, log) => fault = FaultInjectingJournal.OverSqlite(dir, log)))
        {
            var clients = await ConnectAsync(server);
            acked = await AcknowledgedLoadAsync(clients);

            arm(fault!);
            int multiXid = await clients[0].SendAsync(OpCode.Multi, CreateBoth(pair, "doomed"));
            int createXid = await clients[1].SendAsync(OpCode.Create, new CreateRequest("/failed-c", [], Acl.OpenAclUnsafe, 0));

            await server.Failed.WaitAsync(Bound);
            await AssertClosedWithoutOkAsync(clients[0], multiXid);
            await AssertClosedWithoutOkAsync(clients[1], createXid);
            for (int i = 2; i < clients.Length; i++) await AssertClosedWithoutOkAsync(clients[i], xid: 0);
            foreach (var c in clients) await c.DisposeAsync();
        }

        await using var restarted = await _dir.StartAsync();
        await using var reader = await WireClient.ConnectAsync(restarted.ClientEndPoint.Port);
        await AssertPresentAsync(reader, acked);
        await AssertWholeOrAbsentAsync(reader, pair);
    }

    private static async Task<WireClient[]> ConnectAsync(CoordServer server)
    {
        var clients = new WireClient[Clients];
        for (int i = 0; i < Clients; i++) clients[i] = await WireClient.ConnectAsync(server.ClientEndPoint.Port);
        return clients;
    }

    /// <summary>Each client, concurrently: creates, sets (with version) and 2-node multis on its own nodes, each
    /// awaited. Returns every node with its acknowledged data and version.</summary>
    private static async Task<Dictionary<string, (string Data, int Version)>> AcknowledgedLoadAsync(WireClient[] clients)
    {
        var perClient = await Task.WhenAll(clients.Select(async (c, i) =>
        {
            var nodes = new Dictionary<string, (string, int)>();
            await c.CreateAsync($"/c{i}", "");
            nodes[$"/c{i}"] = ("", 0);
            for (int j = 0; j < WritesPerClient; j++)
            {
                string path = $"/c{i}/n{j}";
                await c.CreateAsync(path, $"v0-{i}-{j}");
                await c.SetAsync(path, $"v1-{i}-{j}", version: 0);
                nodes[path] = ($"v1-{i}-{j}", 1);
                if (j % 5 == 0)
                {
                    var pair = ($"/c{i}/m{j}a", $"/c{i}/m{j}b");
                    var (err, _) = await c.CallAsync(OpCode.Multi, CreateBoth(pair, $"m-{i}-{j}"));
                    Assert.Equal(ErrorCode.Ok, err);
                    nodes[pair.Item1] = nodes[pair.Item2] = ($"m-{i}-{j}", 0);
                }
            }
            return nodes;
        }));
        return perClient.SelectMany(d => d).ToDictionary(kv => kv.Key, kv => kv.Value);
    }

    private static MultiRequest CreateBoth((string A, string B) pair, string data) => new([
        new MultiOp(OpCode.Create, new CreateRequest(pair.A, Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe, 0)),
        new MultiOp(OpCode.Create, new CreateRequest(pair.B, Encoding.UTF8.GetBytes(data), Acl.OpenAclUnsafe, 0)),
    ]);

    private static async Task AssertClosedWithoutOkAsync(WireClient c, int xid)
    {
        var replies = await c.ReadUntilClosedAsync();
        Assert.DoesNotContain(replies, r => r.Xid == xid && xid != 0 && r.Err == ErrorCode.Ok);
    }

    private static async Task AssertPresentAsync(WireClient c, Dictionary<string, (string Data, int Version)> acked)
    {
        Assert.NotEmpty(acked);
        foreach (var (path, (data, version)) in acked)
        {
            var node = await c.GetAsync(path);
            Assert.True(node is not null, $"acknowledged {path} is missing after the restart");
            Assert.Equal((data, version), (node.Value.Data, node.Value.Stat.Version));
        }
    }

    /// <summary>Asserts both nodes of an unacknowledged multi exist or neither does; true when both do.</summary>
    private static async Task<bool> AssertWholeOrAbsentAsync(WireClient c, (string A, string B) pair)
    {
        bool a = await c.GetAsync(pair.A) is not null, b = await c.GetAsync(pair.B) is not null;
        Assert.True(a == b, $"half a multi after the restart: {pair.A} {(a ? "exists" : "absent")}, {pair.B} {(b ? "exists" : "absent")}");
        return a;
    }
}
