using System.Threading.Channels;
using Coord.Actors.Journal;
using Coord.Actors.Txns;

namespace Coord.Host.Specs.Durability;

/// <summary>
/// The journal a fault spec hands to a live <see cref="CoordServer"/>: everything goes to a
/// <see cref="FaultInjectingJournal"/>, and every batch the sequencer hands over is announced. With
/// <see cref="FaultInjectingJournal.DropUnsyncedOnCrash"/> or <see cref="FaultInjectingJournal.TearLastWrite"/>
/// armed the wrapper holds each append until <see cref="FaultInjectingJournal.SyncAsync"/>, and the sequencer
/// keeps one append in flight, so a live server only makes progress while <see cref="RunSyncLoopAsync"/>
/// "fsyncs" each held append as it arrives — waiting on the announcement, not polling.
/// </summary>
internal sealed class SyncedByHand(FaultInjectingJournal fault) : IJournal
{
    private readonly Channel<long> _handed = Channel.CreateUnbounded<long>();

    public FaultInjectingJournal Fault { get; } = fault;

    /// <summary>The last zxid of the last batch the sequencer handed over.</summary>
    public long LastHandedZxid { get; private set; }

    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        var append = Fault.AppendAsync(batch, ct);
        if (batch.Count > 0)
        {
            LastHandedZxid = batch[^1].Header.Zxid;
            _handed.Writer.TryWrite(LastHandedZxid);
        }
        return append;
    }

    /// <summary>Syncs every append as it is handed over, until <paramref name="stop"/>; a sync in progress finishes.</summary>
    public async Task RunSyncLoopAsync(CancellationToken stop)
    {
        try
        {
            while (true)
            {
                await _handed.Reader.ReadAsync(stop);
                await Fault.SyncAsync();
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
        }
    }

    /// <summary>Forgets earlier announcements, so <see cref="WaitUntilHeldAsync"/> waits for something new.</summary>
    public void ForgetAnnouncements()
    {
        while (_handed.Reader.TryRead(out _)) { }
    }

    /// <summary>Completes once the wrapper holds at least one unsynced append (after <see cref="ForgetAnnouncements"/>).</summary>
    public async Task WaitUntilHeldAsync(TimeSpan timeout)
    {
        if (Fault.HeldAppends > 0) return;
        await _handed.Reader.ReadAsync().AsTask().WaitAsync(timeout);
        Assert.True(Fault.HeldAppends > 0, "an append was handed over but is not held");
    }

    public long LastDurableZxid => Fault.LastDurableZxid;
    public long FirstZxid => Fault.FirstZxid;
    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid) => Fault.ReadAfter(afterZxid);
    public ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default) => Fault.TruncateAfterAsync(zxid, ct);
    public ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default) => Fault.PurgeThroughAsync(zxid, ct);
    public ValueTask ResetToAsync(long zxid, CancellationToken ct = default) => Fault.ResetToAsync(zxid, ct);
    public long AcceptedEpoch => Fault.AcceptedEpoch;
    public long CurrentEpoch => Fault.CurrentEpoch;
    public ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default) => Fault.SetAcceptedEpochAsync(epoch, ct);
    public ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default) => Fault.SetCurrentEpochAsync(epoch, ct);
    public ValueTask DisposeAsync() => Fault.DisposeAsync();
}
