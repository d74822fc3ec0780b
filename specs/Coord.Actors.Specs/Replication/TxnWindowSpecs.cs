using Coord.Actors.Replication;
using Coord.Actors.Specs.Journal;
using Coord.Actors.Txns;

namespace Coord.Actors.Specs.Replication;

/// <summary>
/// The replication core's log window keeps what it was given, byte for byte, whether an entry is still an object or
/// was encoded: every read is checked against a plain list driven through the same operations.
/// </summary>
public sealed class TxnWindowSpecs
{
    [Fact]
    public void Frozen_entries_read_back_as_they_went_in_for_every_txn_type()
    {
        var types = JournalTxns.EveryType();
        var txns = types.Select((body, i) => JournalTxns.At(JournalTxns.Epoch1 + i + 1, body)).ToList();
        var window = new TxnWindow(hotTxns: 0);
        foreach (var t in txns) window.Add(t);

        window.Freeze(window.Count);

        Assert.Equal(txns.Count, window.FrozenCount);
        JournalTxns.AssertSame(txns, window.GetRange(0, window.Count));
        Assert.Equal(JournalTxns.Zxids(txns), Enumerable.Range(0, window.Count).Select(window.ZxidAt));
    }

    [Fact]
    public void Freezing_keeps_the_newest_entries_as_objects_and_stops_at_what_the_caller_still_needs()
    {
        var window = new TxnWindow(hotTxns: 3);
        var txns = JournalTxns.Range(JournalTxns.Epoch1 + 1, 10);
        foreach (var t in txns) window.Add(t);

        window.Freeze(before: 4);
        Assert.Equal(4, window.FrozenCount);
        Assert.Same(txns[4], window.GetRange(4, 1)[0]);

        window.Freeze(before: 10);
        Assert.Equal(7, window.FrozenCount); // the newest 3 stay objects
        Assert.Same(txns[9], window.GetRange(9, 1)[0]);
        JournalTxns.AssertSame(txns, window.GetRange(0, 10));
    }

    [Fact]
    public void An_entry_out_of_order_is_refused_and_changes_nothing()
    {
        var window = new TxnWindow();
        window.Add(JournalTxns.At(JournalTxns.Epoch1 + 5));

        Assert.Throws<InvalidOperationException>(() => window.Add(JournalTxns.At(JournalTxns.Epoch1 + 5)));
        Assert.Throws<InvalidOperationException>(() => window.Add(JournalTxns.At(JournalTxns.Epoch1 + 4)));
        Assert.Equal(1, window.Count);
    }

    [Fact]
    public void Encoded_buffers_are_let_go_once_the_entries_in_them_are_trimmed()
    {
        var window = new TxnWindow(hotTxns: 0);
        var big = new byte[TxnWindow.ChunkBytes / 3];
        for (int i = 1; i <= 9; i++)
            window.Add(JournalTxns.At(JournalTxns.Epoch1 + i, new SetDataTxn("/big", big, i)));
        window.Freeze(window.Count);
        long before = window.EncodedBytes;
        Assert.True(before >= 3L * TxnWindow.ChunkBytes, $"9 txns of a third of a buffer each take at least 3 buffers, held {before}");

        window.RemoveFront(6);

        Assert.True(window.EncodedBytes < before, $"trimmed 6 of 9 entries and still hold {window.EncodedBytes} of {before} bytes");
        Assert.Equal(JournalTxns.Epoch1 + 7, window.ZxidAt(0));
        window.Clear();
        Assert.Equal(0, window.EncodedBytes);
    }

    /// <summary>Thousands of random appends, freezes, trims and tail cuts; after each, the window reads as the list does.</summary>
    [Theory]
    [InlineData(1, 0)]
    [InlineData(2, 1)]
    [InlineData(3, 7)]
    [InlineData(4, 64)]
    public void Any_sequence_of_operations_reads_as_a_plain_list_would(int seed, int hot)
    {
        var rng = new Random(seed);
        var bodies = JournalTxns.EveryType();
        var window = new TxnWindow(hot);
        var model = new List<SequencedTxn>();
        long next = JournalTxns.Epoch1 + 1;
        for (int step = 0; step < 5_000; step++)
        {
            switch (rng.Next(10))
            {
                case < 5:
                    int n = rng.Next(1, 20);
                    for (int i = 0; i < n; i++)
                    {
                        next += rng.Next(1, 3);
                        var t = JournalTxns.At(next, bodies[rng.Next(bodies.Length)]);
                        window.Add(t);
                        model.Add(t);
                    }
                    break;
                case 5 or 6:
                    window.Freeze(rng.Next(model.Count + 1));
                    break;
                case 7 or 8 when model.Count > 0:
                    int drop = rng.Next(model.Count / 2 + 1);
                    window.RemoveFront(drop);
                    model.RemoveRange(0, drop);
                    break;
                case 9 when model.Count > 0:
                    int keep = rng.Next(model.Count + 1);
                    window.RemoveFrom(keep);
                    model.RemoveRange(keep, model.Count - keep);
                    next = model.Count > 0 ? model[^1].Header.Zxid : next;
                    break;
            }
            Assert.Equal(model.Count, window.Count);
            if (model.Count == 0) continue;
            long probe = model[rng.Next(model.Count)].Header.Zxid;
            Assert.Equal(model.FindIndex(t => t.Header.Zxid == probe), window.IndexOf(probe));
            Assert.Equal(model.FindIndex(t => t.Header.Zxid > probe - 1), window.FirstAfter(probe - 1));
            Assert.Equal(model.FindIndex(t => t.Header.Zxid == probe + 1), window.IndexOf(probe + 1));
            Assert.Equal(model.Count, window.FirstAfter(model[^1].Header.Zxid));
            int from = rng.Next(model.Count);
            int count = rng.Next(model.Count - from + 1);
            JournalTxns.AssertSame(model.GetRange(from, count), window.GetRange(from, count));
        }
        JournalTxns.AssertSame(model, window.GetRange(0, window.Count));
    }
}
