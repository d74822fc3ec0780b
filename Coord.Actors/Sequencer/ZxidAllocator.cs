using Coord.Actors.Journal;

namespace Coord.Actors.Sequencer;

/// <summary>
/// Hands out zxids as (epoch &lt;&lt; 32) | counter, strictly increasing. When the counter would pass
/// <see cref="CounterMax"/> the epoch is exhausted: <see cref="TryNext"/> refuses, and only a new, higher epoch
/// (<see cref="StartEpoch"/>) lets sequencing go on — never a wrap into the epoch's own low zxids, which would
/// collide with txns already given out (ZooKeeper's leader throws XidRolloverException at the same point and
/// an election starts a new epoch). Pure: no I/O, no clock.
/// </summary>
public sealed class ZxidAllocator
{
    /// <summary>The largest counter a zxid may carry (the low 32 bits, all ones).</summary>
    public const long CounterMaxDefault = 0xFFFF_FFFFL;

    public ZxidAllocator(long lastZxid, long epoch, long counterMax = CounterMaxDefault)
    {
        if (counterMax is < 1 or > CounterMaxDefault) throw new ArgumentOutOfRangeException(nameof(counterMax));
        if (lastZxid < 0) throw new ArgumentOutOfRangeException(nameof(lastZxid));
        CounterMax = counterMax;
        long lastEpoch = JournalRecord.EpochOf(lastZxid);
        if (epoch < lastEpoch) throw new ArgumentException($"epoch {epoch} is below the last zxid's epoch (0x{lastZxid:x})", nameof(epoch));
        if (epoch > JournalOrder.EpochMax) throw new ArgumentOutOfRangeException(nameof(epoch));
        Epoch = epoch;
        // A newer epoch than the last zxid's was started (and persisted) before any txn of it: count from 0.
        Counter = epoch == lastEpoch ? CounterOf(lastZxid) : 0;
        if (Counter > counterMax) throw new ArgumentException($"last zxid 0x{lastZxid:x} is past the counter limit", nameof(lastZxid));
    }

    public long CounterMax { get; }
    public long Epoch { get; private set; }
    public long Counter { get; private set; }

    /// <summary>The zxid given out last (or the one the allocator started from).</summary>
    public long Last => Make(Epoch, Counter);

    public static long CounterOf(long zxid) => zxid & 0xFFFF_FFFFL;
    public static long Make(long epoch, long counter) => (epoch << 32) | counter;

    /// <summary>The next zxid, or false when this epoch has no counter left.</summary>
    public bool TryNext(out long zxid)
    {
        if (Counter >= CounterMax)
        {
            zxid = 0;
            return false;
        }
        Counter++;
        zxid = Make(Epoch, Counter);
        return true;
    }

    /// <summary>Moves to a newer epoch; its first zxid is (epoch, 1).</summary>
    public void StartEpoch(long epoch)
    {
        if (epoch <= Epoch) throw new InvalidOperationException($"epoch {epoch} is not newer than {Epoch}");
        if (epoch > JournalOrder.EpochMax) throw new InvalidOperationException($"epoch {epoch} is past the largest epoch {JournalOrder.EpochMax}");
        Epoch = epoch;
        Counter = 0;
    }

    public override string ToString() => $"epoch {Epoch} counter {Counter}/{CounterMax}";
}
