using Coord.Actors.Ensemble;
using Coord.Actors.Replication;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Fuzz;

/// <summary>
/// Seed inputs for <see cref="PeerTarget"/>: one encoded message of every kind (<see cref="PeerCodec.Manifests"/>),
/// proposals holding every txn type, and Forwarded/ToMember with every payload tag, including forwarded writes with
/// a request of every opcode that carries a record. Small on purpose: afl-fuzz mutates small inputs fastest.
/// </summary>
public static class PeerSeeds
{
    private const long E4 = 4L << 32;

    public static IEnumerable<(string Name, byte[] Input)> All()
    {
        foreach (var (name, envelope) in Messages())
            yield return ($"seed-{name}", PeerTarget.Input(PeerCodec.Manifest(envelope.Message), PeerCodec.ToBytes(envelope)));
        // A batch as a follower sends one (an ack and a forwarded write) and as a leader does (a proposal and a commit).
        var messages = Messages().ToDictionary(m => m.Name, m => m.Envelope.Message);
        foreach (var (name, parts) in new[] { ("batch-ack-forwarded", new[] { "ack", "forwarded-touched" }), ("batch-proposal-commit", new[] { "proposal-batch", "commit" }) })
            yield return ($"seed-{name}", PeerTarget.Input(PeerCodec.BatchManifest,
                PeerCodec.BatchToBytes(new PeerBatch(1, [.. parts.Select(p => messages[p])]))));
    }

    public static IEnumerable<(string Name, PeerEnvelope Envelope)> Messages()
    {
        yield return ("vote", new(1, new Vote(2, E4 + 5, 4, 3, PeerState.Following)));
        yield return ("vote-looking", new(3, new Vote(3, 0, 0, 1, PeerState.Looking)));
        yield return ("followerInfo", new(2, new FollowerInfo(7, 1, 4, true)));
        yield return ("leaderInfo", new(1, new LeaderInfo(7, 1, 5)));
        yield return ("ackEpoch", new(2, new AckEpoch(7, 2, 4, E4 + 16, E4 + 1)));
        yield return ("trunc", new(1, new Trunc(7, 2, E4 + 9)));
        yield return ("snapChunk", new(1, new SnapChunk(7, 3, E4 + 9, 0, 2, new byte[] { 1, 2, 3, 4, 5, 6, 7, 8 })));
        yield return ("snapChunk-last", new(1, new SnapChunk(7, 4, E4 + 9, 1, 2, new byte[] { 9, 10 })));
        yield return ("snapChunkAck", new(2, new SnapChunkAck(7, 3, 1)));
        yield return ("linkReset", new(1, new LinkReset(7, 11, "gap: 5 after 3")));
        yield return ("proposal-empty", new(1, new Proposal(7, 4, [])));
        int i = 0;
        foreach (var body in EveryTxn())
        {
            yield return ($"proposal-{body.Type}-{i}", new(1, new Proposal(7, 4, [new SequencedTxn(new TxnHeader(0x42, i, E4 + 1 + i, 1_700_000_000_000 + i), body)])));
            i++;
        }
        yield return ("proposal-batch", new(1, new Proposal(7, 5, EveryTxn()
            .Select((body, n) => new SequencedTxn(new TxnHeader(0x42, n, E4 + 1 + n, 1000 + n), body)).ToArray())));
        yield return ("newLeader", new(1, new NewLeader(7, 6, 5)));
        yield return ("ackNewLeader", new(2, new AckNewLeader(7, 3, 5, E4 + 16)));
        yield return ("upToDate", new(1, new UpToDate(7, 7, E4 + 16)));
        yield return ("ack", new(2, new Ack(7, 4, E4 + 16)));
        yield return ("commit", new(1, new Commit(7, 8, E4 + 16)));
        yield return ("ping", new(1, new Ping(7, 9)));
        yield return ("pong", new(2, new Pong(7, 5)));
        foreach (var (name, payload) in Payloads())
        {
            yield return ($"forwarded-{name}", new(2, new Forwarded(7, 6, payload)));
            yield return ($"toMember-{name}", new(1, new ToMember(7, 10, payload)));
        }
    }

    private static IEnumerable<(string, object)> Payloads()
    {
        IReadOnlyList<Id> auth = [new("digest", "u:BvFaefuhWURhnvpD7ipe45CKTpk="), new("ip", "127.0.0.1")];
        int n = 0;
        foreach (var (op, record) in FrameSeeds.SampleRequests())
        {
            if (!Enum.IsDefined(op) || ForwardedRecords.RecordType(op) is null && record is not null) continue;
            yield return ($"write-{op}", new ForwardedWrites([new ClientRequest(0x42 + n, n, 100 + n, op, record, n % 2 == 0 ? auth : [])]));
            n++;
        }
        yield return ("writes-empty", new ForwardedWrites([]));
        yield return ("createSession", new CreateSessionRequest(0x42, 30_000, Enumerable.Range(0, 16).Select(b => (byte)b).ToArray()));
        yield return ("touched", new SessionsTouched([0x42, long.MinValue, -1]));
        yield return ("touched-empty", new SessionsTouched([]));
        yield return ("revalidation", new SessionRevalidation(0x42, 4_000, 7));
        yield return ("revalidated", new SessionRevalidated(0x42, 7, false));
        yield return ("bytes", new byte[] { 0, 1, 255 });
        yield return ("bytes-empty", Array.Empty<byte>());
    }

    /// <summary>A txn of every type the journal and proposals carry.</summary>
    public static Txn[] EveryTxn() =>
    [
        new CreateTxn("/a", [1, 2], Acl.OpenAclUnsafe, 0, 1),
        new CreateTxn("/e", null, [new Acl(Perms.All, new Id("digest", "u:h"))], 0x42, 2),
        new CreateTxn("/c", [], Acl.ReadAclUnsafe, EphemeralOwners.Container, 3),
        new CreateTxn("/t", [7], Acl.OpenAclUnsafe, EphemeralOwners.ForTtl(60_000), 4),
        new DeleteTxn("/a"),
        new SetDataTxn("/a", [3], 2),
        new SetAclTxn("/a", Acl.CreatorAllAcl, 1),
        new CheckVersionTxn("/a", 5),
        new ErrorTxn(ErrorCode.NoNode),
        new MultiTxn([new CreateTxn("/m", [1], Acl.OpenAclUnsafe, 0, 1), new SetDataTxn("/m", [2], 1), new CheckVersionTxn("/m", 1),
            new DeleteTxn("/m"), new SetAclTxn("/n", Acl.OpenAclUnsafe, 0), new ErrorTxn(ErrorCode.RuntimeInconsistency)]),
        new CreateSessionTxn(0x42, 30_000, new byte[16]),
        new CloseSessionTxn(0x42, ["/e", "/f"]),
    ];
}
