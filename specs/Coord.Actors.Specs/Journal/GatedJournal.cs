using Coord.Actors.Journal;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Journal;

/// <summary>A journal whose appends complete only when the test says so.</summary>
internal sealed class GatedJournal : IJournal
{
    private readonly System.Threading.Channels.Channel<TaskCompletionSource> _appends =
        System.Threading.Channels.Channel.CreateUnbounded<TaskCompletionSource>();
    public int Count;
    public long LastDurableZxid => 0;
    public long AcceptedEpoch => 0;
    public long CurrentEpoch => 0;
    public ValueTask SetAcceptedEpochAsync(long epoch, CancellationToken ct = default) => ValueTask.CompletedTask;
    public ValueTask SetCurrentEpochAsync(long epoch, CancellationToken ct = default) => ValueTask.CompletedTask;
    public ValueTask AppendAsync(IReadOnlyList<SequencedTxn> batch, CancellationToken ct = default)
    {
        var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Interlocked.Increment(ref Count);
        _appends.Writer.TryWrite(tcs);
        return new ValueTask(tcs.Task);
    }
    public Task<TaskCompletionSource> NextAppendAsync() => _appends.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
    public IEnumerable<SequencedTxn> ReadAfter(long afterZxid) => [];
    public long FirstZxid => 0;
    public ValueTask TruncateAfterAsync(long zxid, CancellationToken ct = default) => ValueTask.CompletedTask;
    public ValueTask PurgeThroughAsync(long zxid, CancellationToken ct = default) => ValueTask.CompletedTask;
    public ValueTask ResetToAsync(long zxid, CancellationToken ct = default) => ValueTask.CompletedTask;
    public ValueTask DisposeAsync() => ValueTask.CompletedTask;
}
