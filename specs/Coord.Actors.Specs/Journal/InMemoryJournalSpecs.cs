using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Specs.Journal;

public sealed class InMemoryJournalSpecs
{
    private static SequencedTxn Txn(long zxid) => new(new TxnHeader(1, 0, zxid, 0), new ErrorTxn(ErrorCode.NoNode));

    [Fact]
    public async Task Appends_in_order_and_reads_back_after_a_zxid()
    {
        var j = new InMemoryJournal();
        await j.AppendAsync([Txn(1), Txn(2)]);
        await j.AppendAsync([Txn(3)]);
        Assert.Equal(3, j.LastDurableZxid);
        Assert.Equal([2L, 3L], j.ReadAfter(1).Select(t => t.Header.Zxid));
    }

    [Fact]
    public async Task An_out_of_order_append_is_refused()
    {
        var j = new InMemoryJournal();
        await j.AppendAsync([Txn(5)]);
        Assert.Throws<InvalidOperationException>(() => { _ = j.AppendAsync([Txn(5)]); });
    }

    [Fact]
    public async Task Only_the_newest_txns_are_retained_and_reading_past_them_is_an_error()
    {
        var j = new InMemoryJournal(txnsRetainedMax: 3);
        for (long z = 1; z <= 10; z++) await j.AppendAsync([Txn(z)]);
        Assert.Equal(3, j.Count);
        Assert.Equal([8L, 9L, 10L], j.ReadAfter(7).Select(t => t.Header.Zxid));
        Assert.Throws<InvalidOperationException>(() => j.ReadAfter(2));
    }
}
