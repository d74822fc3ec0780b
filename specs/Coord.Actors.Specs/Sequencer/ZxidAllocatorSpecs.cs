using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Settings;
using Coord.Actors.Sessions;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Specs.Sequencer;

public sealed class ZxidAllocatorSpecs
{
    [Fact]
    public void Zxids_are_epoch_and_counter_and_strictly_increase()
    {
        var z = new ZxidAllocator(lastZxid: ZxidAllocator.Make(3, 41), epoch: 3);
        Assert.True(z.TryNext(out long a));
        Assert.True(z.TryNext(out long b));
        Assert.Equal((3L, 42L), (JournalRecord.EpochOf(a), ZxidAllocator.CounterOf(a)));
        Assert.Equal(a + 1, b);
    }

    [Fact]
    public void An_exhausted_counter_refuses_until_a_newer_epoch_starts_at_counter_one()
    {
        var z = new ZxidAllocator(lastZxid: ZxidAllocator.Make(2, 0xFFFF_FFFE), epoch: 2);
        Assert.True(z.TryNext(out long last));
        Assert.Equal(ZxidAllocator.Make(2, 0xFFFF_FFFF), last);
        Assert.False(z.TryNext(out _));
        Assert.False(z.TryNext(out _)); // never wraps into the epoch's low zxids
        Assert.Throws<InvalidOperationException>(() => z.StartEpoch(2));
        z.StartEpoch(3);
        Assert.True(z.TryNext(out long first));
        Assert.Equal(ZxidAllocator.Make(3, 1), first);
        Assert.True(Coord.Actors.Journal.Recovery.Follows(last, first));
    }

    [Fact]
    public void A_persisted_newer_epoch_without_txns_starts_its_counter_at_zero()
    {
        var z = new ZxidAllocator(lastZxid: ZxidAllocator.Make(1, 500), epoch: 4);
        Assert.True(z.TryNext(out long zxid));
        Assert.Equal(ZxidAllocator.Make(4, 1), zxid);
        Assert.Throws<ArgumentException>(() => new ZxidAllocator(ZxidAllocator.Make(5, 1), epoch: 4));
    }

    [Fact]
    public void The_sequencer_core_moves_to_a_new_epoch_on_rollover_and_says_so_before_the_first_txn_of_it()
    {
        var tree = new DataTree();
        var core = new SequencerCore(CoordSettings.Default, tree, epoch: 0, nowMs: 0, counterMax: 3);
        core.CreateSession(0x10, 10_000, new byte[16], 0, 0);
        var created = core.TakeOutput();
        tree.Apply(created.Txns[0]);
        core.Applied(created.Txns[0].Header.Zxid);
        for (int i = 0; i < 4; i++)
            core.Write(new ClientRequest(0x10, 1, i + 1, OpCode.Create, new CreateRequest($"/n{i}", null, Acl.OpenAclUnsafe, 0), []), 0, 0);
        var output = core.TakeOutput();
        var zxids = output.Txns.Select(t => (JournalRecord.EpochOf(t.Header.Zxid), ZxidAllocator.CounterOf(t.Header.Zxid))).ToList();
        Assert.Equal([(0L, 2L), (0L, 3L), (1L, 1L), (1L, 2L)], zxids);
        Assert.Equal([(2, 1L)], output.EpochStarts);
        Assert.All(output.Txns, t => Assert.IsType<CreateTxn>(t.Body));
        Assert.Equal(1, core.Epoch);
    }
}
