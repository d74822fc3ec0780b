using Coord.Chaos.Checking;
using Coord.Chaos.History;
using Coord.Protocol;
using Xunit.Abstractions;

namespace Coord.Chaos.Specs;

/// <summary>
/// The direct checks of the workloads (counter, lock with fencing, ephemerals) and the watch checks the watchers rely on:
/// histories ZooKeeper allows must pass, each planted anomaly must fail with the check that names it.
/// </summary>
public sealed class WorkloadCheckSpecs(ITestOutputHelper output)
{
    private Verdict Check(HistoryBuilder h)
    {
        var verdict = Checker.Check(h.Build());
        output.WriteLine(verdict.ToString());
        return verdict;
    }

    private void Passes(HistoryBuilder h) => Assert.True(Check(h).IsOk, "expected the history to pass");

    private Violation Fails(HistoryBuilder h, string check)
    {
        var verdict = Check(h);
        var v = verdict.Violations.FirstOrDefault(v => v.Check == check);
        Assert.True(v is not null, $"expected a {check} violation, got: {string.Join(", ", verdict.Violations.Select(x => x.Check))}");
        return v;
    }

    // ---- counter ----

    private static HistoryBuilder CounterHistory() => new HistoryBuilder().Node("/c", "0").Counter("/c");

    [Fact]
    public void Counter_increments_with_one_of_unknown_outcome()
    {
        var h = CounterHistory();
        h.Get(1, 1, 2, "/c", "0", 0);
        h.Set(1, 3, 4, "/c", "1", expected: 0, newVersion: 1);
        h.Get(2, 5, 6, "/c", "1", 1);
        h.Set(2, 7, null, "/c", "2", expected: 1); // unknown: it applied
        h.Sync(3, 9, 10);
        h.Get(3, 11, 12, "/c", "2", 2);
        Passes(h);
    }

    [Fact]
    public void Counter_loses_an_acknowledged_increment()
    {
        var h = CounterHistory();
        h.Set(1, 1, 2, "/c", "1", expected: 0, newVersion: 1);
        h.Set(2, 3, 4, "/c", "2", expected: 1, newVersion: 2);
        h.Sync(3, 5, 6);
        var read = h.Get(3, 7, 8, "/c", "1", 1);
        var v = Fails(h, "counter");
        Assert.Contains(read, v.Ops);
        Assert.Contains("1 lost", v.Message);
    }

    [Fact]
    public void Counter_counts_an_increment_twice()
    {
        var h = CounterHistory();
        h.Set(1, 1, 2, "/c", "1", expected: 0, newVersion: 1);
        h.Get(2, 3, 4, "/c", "2", 1);
        Assert.Contains("counted twice", Fails(h, "counter").Message);
    }

    [Fact]
    public void Counter_value_stops_matching_its_version()
    {
        var h = CounterHistory();
        h.Set(1, 1, 2, "/c", "1", expected: 0, newVersion: 1);
        h.Set(2, 3, 4, "/c", "1", expected: 0, newVersion: 2); // a lost update: both wrote 1
        Fails(h, "counter");
    }

    // ---- lock and fencing ----

    private static HistoryBuilder LockHistory() => new HistoryBuilder().Node("/l").Node("/r", "-1:init").Lock("/l", "/r");

    [Fact]
    public void Lock_handed_over_by_release_and_watch()
    {
        var h = LockHistory();
        h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000000");
        h.Create(2, 3, 4, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
        h.Children(1, 5, 6, "/l", false, "n-0000000000", "n-0000000001");
        h.Children(2, 7, 8, "/l", false, "n-0000000000", "n-0000000001");
        h.Exists(2, 9, 10, "/l/n-0000000000", true, 0, watch: true);
        h.Get(1, 11, 12, "/r", "-1:init", 0);
        h.Set(1, 13, 14, "/r", "0:a", expected: 0, newVersion: 1);
        h.Delete(1, 15, 16, "/l/n-0000000000");
        h.Event(2, 17, "/l/n-0000000000", EventType.NodeDeleted);
        h.Children(2, 18, 19, "/l", false, "n-0000000001");
        h.Get(2, 20, 21, "/r", "0:a", 1);
        h.Set(2, 22, 23, "/r", "1:b", expected: 1, newVersion: 2);
        h.Delete(2, 24, 25, "/l/n-0000000001");
        Passes(h);
    }

    [Fact]
    public void Lock_taken_over_after_the_holders_session_expired_and_its_late_write_fenced()
    {
        var h = LockHistory();
        h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000000");
        h.Create(2, 3, 4, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
        h.Children(1, 5, 6, "/l", false, "n-0000000000", "n-0000000001");
        h.Children(2, 7, 8, "/l", false, "n-0000000001"); // s1 expired: its child went
        h.Get(2, 9, 10, "/r", "-1:init", 0);
        h.Set(2, 11, 12, "/r", "1:b", expected: 0, newVersion: 1);
        h.Get(1, 13, 14, "/r", "1:b", 1); // s1 still thinks it holds; its token 0 is lower, so it does not write
        h.Expire(1, 1, 20);
        Passes(h);
    }

    [Fact]
    public void A_waiter_watches_a_predecessor_whose_create_had_an_unknown_outcome()
    {
        var h = LockHistory();
        h.Create(1, 1, null, "/l/n-", sequential: true, ephemeral: true); // got n-0000000000, but its reply was lost
        h.Close(1, 2, 13);
        h.Create(2, 3, 4, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
        h.Children(2, 5, 6, "/l", false, "n-0000000000", "n-0000000001");
        h.Exists(2, 7, 8, "/l/n-0000000000", true, 0, watch: true);
        h.Event(2, 14, "/l/n-0000000000", EventType.NodeDeleted);
        h.Children(2, 15, 16, "/l", false, "n-0000000001");
        Passes(h);
    }

    [Fact]
    public void A_session_reads_after_its_last_write_and_expires_later()
    {
        var h = LockHistory();
        h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000000");
        h.Children(1, 3, 4, "/l", false, "n-0000000000"); // after its last write: still alive
        h.Create(2, 5, 6, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
        h.Children(2, 7, 8, "/l", false, "n-0000000000", "n-0000000001");
        h.Children(2, 9, 10, "/l", false, "n-0000000001"); // s1 expired meanwhile
        h.Expire(1, 1, 12);
        Passes(h);
    }

    [Fact]
    public void A_session_expired_while_its_client_was_reconnecting_ends_at_an_unknown_time_after_its_last_write()
    {
        // s1's client lost its member and, reconnecting, did not know the leader had expired the session; s2 saw s1's child
        // gone at 7-8; s1's client gave up at 20 and its close was never acknowledged. Recorded as the workload records it
        // (an end at an unknown time after the last write the leader accepted), the history is one ZooKeeper allows ...
        static HistoryBuilder Run()
        {
            var h = LockHistory();
            h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000000");
            h.Create(2, 3, 4, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
            h.Children(2, 5, 6, "/l", false, "n-0000000000", "n-0000000001");
            h.Children(2, 7, 8, "/l", false, "n-0000000001");
            return h;
        }

        var recorded = Run();
        recorded.Expire(1, 1, 21);
        Passes(recorded);

        // ... while a close stamped when the client gave up would claim s1's child lived until 20.
        var stampedLate = Run();
        stampedLate.Close(1, 20, null);
        Fails(stampedLate, "linearizability");
    }

    [Fact]
    public void Two_holders_at_once_though_the_first_released_later()
    {
        var h = LockHistory();
        var c1 = h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000000");
        h.Create(2, 3, 4, "/l/n-", sequential: true, ephemeral: true, created: "/l/n-0000000001");
        var first = h.Children(1, 5, 6, "/l", false, "n-0000000000", "n-0000000001");
        var second = h.Children(2, 7, 8, "/l", false, "n-0000000001");
        var release = h.Delete(1, 9, 10, "/l/n-0000000000");
        var v = Fails(h, "lock-exclusion");
        Assert.Equal(new[] { first.Id, second.Id, release.Id }.Order(), v.Ops.Select(o => o.Id).Order());
        Assert.DoesNotContain(c1, v.Ops);
    }

    [Fact]
    public void The_resource_accepts_a_lower_token_after_a_higher_one()
    {
        var h = LockHistory();
        var high = h.Set(2, 1, 2, "/r", "5:b", expected: 0, newVersion: 1);
        var low = h.Set(1, 3, 4, "/r", "3:a", expected: 1, newVersion: 2);
        var v = Fails(h, "lock-fencing");
        Assert.Equal(new[] { high.Id, low.Id }, v.Ops.Select(o => o.Id));
    }

    // ---- ephemerals ----

    [Fact]
    public void Ephemeral_seen_while_its_owner_lives_and_gone_after_close()
    {
        var h = new HistoryBuilder().Node("/e").Node("/k");
        h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Sync(2, 3, 4);
        h.Exists(2, 5, 6, "/e/x", true, 0);
        h.Set(1, 7, 8, "/k", "a", newVersion: 1);
        h.Close(1, 9, 10);
        h.Final(3);
        h.Sync(3, 11, 12);
        h.Exists(3, 13, 14, "/e/x", false);
        Passes(h);
    }

    [Fact]
    public void A_stale_read_may_miss_a_live_ephemeral()
    {
        var h = new HistoryBuilder().Node("/e").Node("/k");
        h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Exists(2, 5, 6, "/e/x", false); // no sync: this server may be behind
        h.Set(1, 7, 8, "/k", "a", newVersion: 1);
        Passes(h);
    }

    [Fact]
    public void An_ephemeral_may_go_once_its_session_expired()
    {
        var h = new HistoryBuilder().Node("/e").Node("/k");
        h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Set(1, 3, 4, "/k", "a", newVersion: 1);
        h.Sync(2, 5, 6);
        h.Exists(2, 7, 8, "/e/x", false);
        h.Expire(1, 3, 20);
        Passes(h);
    }

    [Fact]
    public void An_ephemeral_missing_while_its_owner_provably_lives()
    {
        var h = new HistoryBuilder().Node("/e").Node("/k");
        var create = h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Sync(2, 3, 4);
        var missing = h.Exists(2, 5, 6, "/e/x", false);
        var alive = h.Set(1, 7, 8, "/k", "a", expected: 5, error: ErrorCode.BadVersion); // an error reply proves the session too
        var v = Fails(h, "ephemeral-early");
        Assert.Equal(new[] { create.Id, missing.Id, alive.Id }, v.Ops.Select(o => o.Id));
    }

    [Fact]
    public void An_ephemeral_left_after_its_session_closed()
    {
        var h = new HistoryBuilder().Node("/e");
        h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Close(1, 3, 4);
        h.Final(3);
        h.Sync(3, 5, 6);
        var read = h.Exists(3, 7, 8, "/e/x", true, 0);
        Assert.Equal([read], Fails(h, "ephemeral-leak").Ops);
    }

    [Fact]
    public void An_ephemeral_of_an_unacknowledged_close_may_linger_until_the_last_final_read()
    {
        var h = new HistoryBuilder().Node("/e");
        h.Create(1, 1, 2, "/e/x", ephemeral: true);
        h.Close(1, 3, null);
        h.Final(3);
        h.Sync(3, 5, 6);
        h.Exists(3, 7, 8, "/e/x", true, 0, watch: true);
        h.Event(3, 9, "/e/x", EventType.NodeDeleted);
        h.Sync(3, 10, 11);
        h.Exists(3, 12, 13, "/e/x", false);
        Passes(h);
    }

    [Fact]
    public void A_lock_node_left_in_the_final_listing()
    {
        var h = LockHistory();
        h.Create(1, 1, 2, "/l/n-", sequential: true, ephemeral: true); // unknown outcome: its name is not known
        h.Expire(1, 0, 4);
        h.Final(3);
        h.Sync(3, 5, 6);
        h.Children(3, 7, 8, "/l", false, "n-0000000000");
        Fails(h, "ephemeral-leak");
    }

    // ---- watchers ----

    [Fact]
    public void A_watch_whose_event_never_came_shows_in_the_closing_read()
    {
        var h = new HistoryBuilder().Node("/k", "x");
        var arm = h.Get(1, 1, 2, "/k", "x", 0, watch: true);
        h.Set(2, 3, 4, "/k", "y", newVersion: 1);
        h.Sync(1, 5, 6);
        var closing = h.Exists(1, 7, 8, "/k", true, 1);
        var v = Fails(h, "watch-before-data");
        Assert.Equal(new[] { arm.Id, closing.Id }, v.Ops.Select(o => o.Id));
    }

    [Fact]
    public void A_watch_of_an_expired_session_fires_no_more()
    {
        var h = new HistoryBuilder().Node("/k", "x");
        h.Get(1, 1, 2, "/k", "x", 0, watch: true);
        h.Expire(1, 1, 5);
        h.Set(2, 3, 4, "/k", "y", newVersion: 1);
        Passes(h);
    }

    [Fact]
    public void Child_and_exist_watches_fire_once_each_before_the_reads_that_show_the_change()
    {
        var h = new HistoryBuilder().Node("/p");
        h.Children(1, 1, 2, "/p", true);
        h.Exists(1, 3, 4, "/p/a", false, watch: true);
        h.Create(2, 5, 8, "/p/a");
        h.Event(1, 6, "/p", EventType.NodeChildrenChanged, zxid: 10);
        h.Event(1, 7, "/p/a", EventType.NodeCreated, zxid: 10);
        h.Children(1, 9, 10, "/p", false, "a");
        h.Exists(1, 11, 12, "/p/a", true, 0);
        Passes(h);
    }
}
