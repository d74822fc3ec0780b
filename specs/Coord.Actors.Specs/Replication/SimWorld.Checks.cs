using Coord.Actors.Replication;

namespace Coord.Actors.Specs.Replication;

// The invariants, checked after every step:
// 1. at most one leader per epoch (reaching an epoch quorum, and serving);
// 2. committed prefixes agree: the reference grows from the longest committed prefix seen; every member's committed
//    prefix is a prefix of it; every acknowledged write is in it;
// 3. nothing committed is lost: a quorum of voters holds the whole reference on disk (journal + snapshot), and no
//    leader's TRUNC drops a txn committed by its epoch from a journal, a disk or a tree;
// 4. each member's tree equals a replay of the committed log (digests at equal lengths);
// 5. epochs on disk never decrease and acceptedEpoch ≥ currentEpoch (checked at each fsync);
// plus the host contract: the core's last and applied zxids match the journal and the tree the host holds.
internal sealed partial class SimWorld
{
    private readonly int _quorum;
    private readonly Dictionary<long, long> _servingLeader = new();
    private readonly Dictionary<long, long> _quorumLeader = new();
    private readonly HashSet<int> _acked = new();
    private readonly List<int> _ackedToCheck = new();
    private readonly Dictionary<long, int> _referenceIndex = new();
    private readonly int[] _durableAgree = new int[8];
    private readonly List<long> _committedInEpoch = new(); // per reference entry: the newest established epoch when it entered
    private long _newestEstablishedEpoch;

    /// <summary>The committed log as far as any member applied it.</summary>
    public SimHistory Reference { get; } = new();

    public bool IsAcknowledged(int writeId) => _acked.Contains(writeId);
    public IReadOnlyCollection<int> Acknowledged => _acked;

    private void RecordServingLeader(SimNode node, long epoch)
    {
        Elections++;
        if (_servingLeader.TryGetValue(epoch, out long other) && other != node.Id)
            throw new SimViolation("one leader per epoch", $"n{node.Id} serves as leader of epoch {epoch}, which n{other} led");
        _servingLeader[epoch] = node.Id;
        _newestEstablishedEpoch = Math.Max(_newestEstablishedEpoch, epoch);
    }

    private void RecordEpochQuorum(SimNode node, long epoch)
    {
        if (_quorumLeader.TryGetValue(epoch, out long other) && other != node.Id)
            throw new SimViolation("one leader per epoch", $"n{node.Id} has a quorum for epoch {epoch}, which n{other} had");
        _quorumLeader[epoch] = node.Id;
    }

    /// <summary>
    /// A TRUNC from the leader of epoch <paramref name="leaderEpoch"/> must keep every txn committed by then. A leader
    /// of an older epoch that has not noticed it is stale may still sync a member that is in no quorum (an observer,
    /// say) to its own history: that member serves nothing until an established leader syncs it again.
    /// </summary>
    private void CheckNoCommittedDropped(SimNode node, SimHistory history, long afterZxid, string where, long leaderEpoch)
    {
        for (int i = history.FirstAfter(afterZxid); i < history.Count && i < Reference.Count; i++)
            if (SimHistory.Same(history[i], Reference[i]) && _committedInEpoch[i] <= leaderEpoch)
                throw new SimViolation("committed lost", $"n{node.Id} truncates its {where} to 0x{afterZxid:x}, dropping committed 0x{history[i].Header.Zxid:x}");
    }

    /// <summary>Number of leading tree entries the member's core counts as committed.</summary>
    private static int CommittedCount(SimNode node)
    {
        long committed = node.Core!.CommittedZxid;
        return node.Tree.LastZxid <= committed ? node.Tree.Count : node.Tree.FirstAfter(committed);
    }

    public void Check()
    {
        foreach (var node in Nodes)
        {
            if (!node.Up) continue;
            var core = node.Core!;
            if (core.LastZxid != node.Journal.LastZxid)
                throw new SimViolation("host contract", $"n{node.Id}: the core's last zxid 0x{core.LastZxid:x}, the journal's 0x{node.Journal.LastZxid:x}");
            if (core.AppliedZxid != node.Tree.LastZxid)
                throw new SimViolation("host contract", $"n{node.Id}: the core's applied zxid 0x{core.AppliedZxid:x}, the tree's 0x{node.Tree.LastZxid:x}");
        }
        // Two passes: a member's longer committed prefix extends the reference before anyone is compared with it.
        for (int pass = 0; pass < 2; pass++)
            foreach (var node in Nodes)
            {
                if (!node.Up) continue;
                int committed = CommittedCount(node);
                int agree = node.Tree.AgreeWith(Reference);
                if (agree < Math.Min(committed, Reference.Count))
                    throw new SimViolation("committed prefixes agree",
                        $"n{node.Id} applied 0x{node.Tree[agree].Header.Zxid:x} (write {node.Tree[agree].Header.Cxid}) as committed txn #{agree + 1}, " +
                        $"the reference has 0x{Reference[agree].Header.Zxid:x} (write {Reference[agree].Header.Cxid})");
                for (int i = Reference.Count; i < committed; i++)
                {
                    _referenceIndex[node.Tree[i].Header.Zxid] = i;
                    Reference.Add(node.Tree[i]);
                    _committedInEpoch.Add(_newestEstablishedEpoch);
                }
                if (node.Tree.DigestAt(committed) != Reference.DigestAt(committed))
                    throw new SimViolation("tree equals replay", $"n{node.Id}: tree digest after {committed} txns differs from the committed log's");
            }
        // Nothing committed is lost: any quorum of survivors includes a member holding all of it on disk.
        int voters = 0;
        foreach (var node in Nodes)
            if (!node.Observer) _durableAgree[voters++] = node.Durable.AgreeWith(Reference);
        Array.Sort(_durableAgree, 0, voters);
        int held = _durableAgree[voters - _quorum];
        if (held < Reference.Count)
            throw new SimViolation("committed lost",
                $"committed txn #{held + 1} (0x{Reference[held].Header.Zxid:x}) is on the disk of fewer than a quorum of {_quorum} voters");
        foreach (int id in _ackedToCheck)
        {
            long zxid = _writeZxid[id];
            if (!_referenceIndex.TryGetValue(zxid, out int i) || Reference[i].Header.Cxid != id)
                throw new SimViolation("committed prefixes agree", $"acknowledged write {id} (0x{zxid:x}) is not in the committed log");
        }
        _ackedToCheck.Clear();
    }
}
