using Coord.Actors.Sessions;

namespace Coord.Actors.Specs.Sessions;

public sealed class ExpiryQueueSpecs
{
    [Fact]
    public void A_session_expires_between_timeout_and_timeout_plus_one_interval_after_its_last_touch()
    {
        var q = new ExpiryQueue(2000);
        long at = q.Touch(1, 10_000, nowMs: 500);
        Assert.InRange(at, 10_500, 12_500);
        Assert.Empty(q.Expire(at - 1));
        Assert.Equal([1L], q.Expire(at));
        Assert.Equal(0, q.Count);
    }

    [Fact]
    public void A_touch_postpones_expiry()
    {
        var q = new ExpiryQueue(1000);
        q.Touch(1, 4000, 0);
        q.Touch(1, 4000, 3000);
        Assert.Empty(q.Expire(6000));
        Assert.Equal([1L], q.Expire(8000));
    }

    [Fact]
    public void Removed_sessions_never_expire()
    {
        var q = new ExpiryQueue(1000);
        q.Touch(1, 4000, 0);
        q.Touch(2, 4000, 0);
        q.Remove(1);
        Assert.Equal([2L], q.Expire(10_000));
    }

    [Fact]
    public void Expired_sessions_come_out_ordered_by_id_across_buckets()
    {
        var q = new ExpiryQueue(1000);
        q.Touch(9, 4000, 0);
        q.Touch(3, 2000, 0);
        q.Touch(5, 4000, 0);
        Assert.Equal([3L, 5L, 9L], q.Expire(100_000));
    }

    [Fact]
    public void Buckets_group_sessions_by_expiry_time()
    {
        var q = new ExpiryQueue(1000);
        q.Touch(1, 2000, 100);
        q.Touch(2, 2000, 200);
        q.Touch(3, 5000, 0);
        var buckets = q.Buckets().ToList();
        Assert.Equal(2, buckets.Count);
        Assert.Equal([1L, 2L], buckets[0].Sessions);
    }
}
