using System.Collections;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Coord.Actors.Ensemble;
using Coord.Actors.Replication;
using Coord.Actors.Sequencer;
using Coord.Actors.Sessions;
using Coord.Actors.Specs.Journal;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Protocol.Records;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// Peer messages on the wire: every message and payload type round-trips field by field, the layouts are frozen by
/// golden bytes, an ActorSystem binds <see cref="PeerEnvelope"/> to <see cref="PeerSerializer"/> (not JSON), and
/// damaged bytes are a <see cref="SerializationException"/>, never a crash or a hang.
/// </summary>
public sealed class PeerSerializerSpecs(ITestOutputHelper output)
{
    private const long E4 = 4L << 32;

    private static readonly IReadOnlyList<Id> SomeAuth = [new("digest", "u:BvFaefuhWURhnvpD7ipe45CKTpk="), new("ip", "127.0.0.1")];

    private static SequencedTxn[] Txns(int count, long firstZxid)
    {
        var bodies = JournalTxns.EveryType();
        return Enumerable.Range(0, count)
            .Select(i => new SequencedTxn(new TxnHeader(0x42 + i % 7, i, firstZxid + i, 1_700_000_000_000 + i), bodies[i % bodies.Length]))
            .ToArray();
    }

    /// <summary>A sample record for each opcode that carries one (the write ops and every other op RequestDecoder reads).</summary>
    private static object? SampleRecord(OpCode op) => op switch
    {
        OpCode.Create => new CreateRequest("/a", [1, 2], Acl.OpenAclUnsafe, (int)CreateMode.EphemeralSequential),
        OpCode.Create2 => new CreateRequest("/b", null, Acl.CreatorAllAcl, (int)CreateMode.Persistent),
        OpCode.CreateContainer => new CreateRequest("/c", [], Acl.ReadAclUnsafe, (int)CreateMode.Container),
        OpCode.CreateTtl => new CreateTtlRequest("/t", [9], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 60_000),
        OpCode.Delete => new DeleteRequest("/a", 3),
        OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2 => new PathWatchRequest("/w", true),
        OpCode.SetData => new SetDataRequest("/a", "v2"u8.ToArray(), -1),
        OpCode.GetAcl or OpCode.Sync or OpCode.GetEphemerals or OpCode.GetAllChildrenNumber or OpCode.DeleteContainer
            => new PathRequest("/p"),
        OpCode.SetAcl => new SetAclRequest("/a", [new Acl(Perms.Read | Perms.Admin, new Id("digest", "u:h"))], 2),
        OpCode.Check => new CheckVersionRequest("/a", 7),
        OpCode.Multi => SampleMulti,
        OpCode.MultiRead => new MultiRequest([new(OpCode.GetData, new PathWatchRequest("/a", false)), new(OpCode.GetChildren, new PathWatchRequest("/", false))]),
        OpCode.CheckWatches or OpCode.RemoveWatches => new WatchesRequest("/w", WatcherType.Any),
        OpCode.AddWatch => new AddWatchRequest("/w", AddWatchMode.PersistentRecursive),
        OpCode.SetWatches => new SetWatchesRequest(0x10, ["/d"], ["/e"], ["/c"], [], [], false),
        OpCode.SetWatches2 => new SetWatchesRequest(0x11, ["/d"], [], ["/c"], ["/p"], ["/r", "/s"], true),
        OpCode.Auth => new AuthPacket(0, "digest", "u:pw"u8.ToArray()),
        OpCode.Reconfig => new ReconfigRequest(null, "2", null, -1),
        OpCode.Sasl => new SaslToken([1, 2, 3]),
        _ => null,
    };

    private static readonly MultiRequest SampleMulti = new(
    [
        new(OpCode.Create, new CreateRequest("/m", [1], Acl.OpenAclUnsafe, 0)),
        new(OpCode.CreateTtl, new CreateTtlRequest("/m/t", null, Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 5_000)),
        new(OpCode.SetData, new SetDataRequest("/m", [2], 0)),
        new(OpCode.Check, new CheckVersionRequest("/m", 1)),
        new(OpCode.Delete, new DeleteRequest("/m/t", -1)),
    ]);

    private static ForwardedWrites EveryWrite() => new(
        Enum.GetValues<OpCode>()
            .Select((op, i) => new ClientRequest(0x1_0000_0000_0042 + i, i, 100 + i, op, SampleRecord(op), i % 2 == 0 ? SomeAuth : []))
            .ToArray());

    private static object[] EveryPayload() =>
    [
        EveryWrite(),
        new ForwardedWrites([]),
        new CreateSessionRequest(0x42, 30_000, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray()),
        new SessionsTouched([]),
        new SessionsTouched([0x42, long.MinValue, long.MaxValue, -1]),
        new SessionRevalidation(0x42, 4_000, 7),
        new SessionRevalidation(long.MaxValue, int.MaxValue, long.MinValue),
        new SessionRevalidated(0x42, 7, true),
        new SessionRevalidated(0x42, 7, false),
        Array.Empty<byte>(),
        new byte[] { 0, 1, 255 },
    ];

    public static TheoryData<string, PeerEnvelope> EveryMessage()
    {
        var data = new TheoryData<string, PeerEnvelope>
        {
            { "vote", new(1, new Vote(2, E4 + 5, 4, 3, PeerState.Following)) },
            { "vote looking, extreme values", new(long.MaxValue, new Vote(long.MinValue, -1, 0, long.MaxValue, PeerState.Observing)) },
            { "followerInfo", new(2, new FollowerInfo(7, 1, 4, true)) },
            { "leaderInfo", new(1, new LeaderInfo(7, 1, 5)) },
            { "ackEpoch", new(2, new AckEpoch(7, 2, 4, E4 + 16, E4 + 1)) },
            { "trunc", new(1, new Trunc(7, 2, E4 + 9)) },
            { "snapChunk", new(1, new SnapChunk(7, 3, E4 + 9, 2, 5, Enumerable.Range(0, 1000).Select(i => (byte)(i * 7)).ToArray())) },
            { "snapChunk, the only one, empty", new(1, new SnapChunk(7, 3, 0, 0, 1, Array.Empty<byte>())) },
            { "snapChunkAck", new(2, new SnapChunkAck(7, 4, 2)) },
            { "linkReset", new(1, new LinkReset(7, 11, "message 9 arrived after 7 — gap")) },
            { "linkReset of a link the leader does not know", new(1, new LinkReset(7, 0, "")) },
            { "proposal of every txn type", new(1, new Proposal(7, 4, Txns(JournalTxns.EveryType().Length, E4 + 1))) },
            { "proposal, empty", new(1, new Proposal(7, 4, [])) },
            { "proposal of 1,000 txns", new(1, new Proposal(7, 5, Txns(1000, E4 + 1))) },
            { "newLeader", new(1, new NewLeader(7, 6, 5)) },
            { "ackNewLeader", new(2, new AckNewLeader(7, 3, 5, E4 + 16)) },
            { "upToDate", new(1, new UpToDate(7, 7, E4 + 16)) },
            { "ack", new(2, new Ack(7, 4, E4 + 16)) },
            { "commit", new(1, new Commit(7, 8, E4 + 16)) },
            { "ping", new(1, new Ping(7, 9)) },
            { "pong", new(2, new Pong(7, 5)) },
        };
        foreach (var p in EveryPayload())
        {
            data.Add($"forwarded {Describe(p)}", new(2, new Forwarded(7, 6, p)));
            data.Add($"toMember {Describe(p)}", new(1, new ToMember(7, 10, p)));
        }
        return data;
    }

    private static string Describe(object payload) => payload is byte[] b ? $"byte[{b.Length}]" : payload.ToString()!;

    [Theory, MemberData(nameof(EveryMessage))]
    public void Every_message_round_trips_field_by_field(string name, PeerEnvelope envelope)
    {
        var back = RoundTrip(envelope);
        AssertSame(envelope, back, name);
        if (envelope.Message is Proposal p)
            Assert.True(TxnBatchCodec.ToBytes(p.Txns).AsSpan().SequenceEqual(TxnBatchCodec.ToBytes(((Proposal)back.Message).Txns)), name);
    }

    [Fact]
    public void Samples_cover_every_message_type_and_manifest()
    {
        var types = typeof(PeerMessage).Assembly.GetTypes()
            .Where(t => t.IsSubclassOf(typeof(PeerMessage)) && !t.IsAbstract).ToHashSet();
        var sampled = EveryMessage().Select(row => row[1]).Cast<PeerEnvelope>().Select(e => e.Message.GetType()).ToHashSet();
        Assert.Equal(types.OrderBy(t => t.Name).Select(t => t.Name), sampled.OrderBy(t => t.Name).Select(t => t.Name));
        var manifests = types.Select(t => PeerCodec.Manifest((PeerMessage)RuntimeHelpers.GetUninitializedObject(t))).ToList();
        Assert.Equal(manifests.Count, manifests.Distinct().Count());
        Assert.Equal(PeerCodec.Manifests.Order(), manifests.Order());
        Assert.All(manifests, m => Assert.InRange(m.Length, 1, 2));
    }

    [Theory]
    [MemberData(nameof(AllOpCodes))]
    public void A_forwarded_request_of_each_opcode_round_trips(OpCode op)
    {
        var record = SampleRecord(op);
        Assert.Equal(ForwardedRecords.RecordType(op), record?.GetType());
        var request = new ClientRequest(0x42, 3, 17, op, record, SomeAuth);
        var back = RoundTrip(new PeerEnvelope(2, new Forwarded(1, 1, new ForwardedWrites([request]))));
        var decoded = Assert.Single(((ForwardedWrites)((Forwarded)back.Message).Payload).Requests);
        AssertSame(request, decoded, op.ToString());
    }

    public static TheoryData<OpCode> AllOpCodes() => new(Enum.GetValues<OpCode>());

    [Fact]
    public void A_multi_request_keeps_every_op_in_order()
    {
        var request = new ClientRequest(0x42, 3, 17, OpCode.Multi, SampleMulti, []);
        var back = RoundTrip(new PeerEnvelope(2, new Forwarded(1, 1, new ForwardedWrites([request]))));
        var multi = (MultiRequest)((ForwardedWrites)((Forwarded)back.Message).Payload).Requests[0].Record!;
        Assert.Equal(SampleMulti.Ops.Select(o => o.Type), multi.Ops.Select(o => o.Type));
        AssertSame(SampleMulti, multi, "multi");
    }

    // Golden bytes: the layout both ends of a link must agree on. Change only under a new manifest.
    public static TheoryData<string, PeerEnvelope, string, string> Goldens() => new()
    {
        { "vote", new(1, new Vote(2, 0x1_0000_0005, 1, 3, PeerState.Following)), "vo",
            "0000000000000001 0000000000000002 0000000100000005 0000000000000001 0000000000000003 01" },
        { "ack", new(3, new Ack(7, 9, 0x1_0000_0005)), "ak",
            "0000000000000003 0000000000000007 0000000000000009 0000000100000005" },
        { "followerInfo", new(3, new FollowerInfo(7, 1, 2, true)), "fi",
            "0000000000000003 0000000000000007 0000000000000001 0000000000000002 01" },
        { "proposal", new(1, new Proposal(7, 10, [new SequencedTxn(new TxnHeader(0x42, 7, 0x1_0000_0001, 1000), new DeleteTxn("/a"))])), "pr",
            "0000000000000001 0000000000000007 000000000000000A 00000001 00000026" +
            "0000000000000042 00000007 0000000100000001 00000000000003E8 00000002 00000002 2F61" },
        { "snapChunk", new(1, new SnapChunk(7, 2, 0x1_0000_0000, 1, 3, new byte[] { 1, 2, 3 })), "sc",
            "0000000000000001 0000000000000007 0000000000000002 0000000100000000 00000001 00000003 00000003 010203" },
        { "snapChunkAck", new(2, new SnapChunkAck(7, 3, 1)), "sa",
            "0000000000000002 0000000000000007 0000000000000003 00000001" },
        { "linkReset", new(1, new LinkReset(7, 4, "gap")), "lr",
            "0000000000000001 0000000000000007 0000000000000004 00000003 676170" },
        { "forwarded sessionRevalidation", new(2, new Forwarded(7, 11, new SessionRevalidation(0x42, 30_000, 5))), "fw",
            "0000000000000002 0000000000000007 000000000000000B 06 0000000000000042 00007530 0000000000000005" },
        { "toMember sessionRevalidated", new(1, new ToMember(7, 14, new SessionRevalidated(0x42, 5, true))), "tm",
            "0000000000000001 0000000000000007 000000000000000E 07 0000000000000042 0000000000000005 01" },
        { "forwarded write", new(2, new Forwarded(7, 12, new ForwardedWrites([new ClientRequest(0x42, 5, 9, OpCode.Delete, new DeleteRequest("/a", -1), [new Id("digest", "u")])]))), "fw",
            "0000000000000002 0000000000000007 000000000000000C 01 00000001" +
            "0000000000000042 0000000000000005 00000009 00000002 0000000A 00000002 2F61 FFFFFFFF" +
            "00000001 00000006 646967657374 00000001 75" },
        { "toMember bytes", new(1, new ToMember(7, 13, new byte[] { 0xAB })), "tm",
            "0000000000000001 0000000000000007 000000000000000D 05 00000001 AB" },
    };

    [Theory, MemberData(nameof(Goldens))]
    public void Encodes_to_frozen_bytes(string name, PeerEnvelope envelope, string manifest, string hex)
    {
        Assert.Equal(manifest, PeerCodec.Manifest(envelope.Message));
        Assert.True(hex.Replace(" ", "") == Convert.ToHexString(PeerCodec.ToBytes(envelope)), name);
    }

    [Fact]
    public async Task An_actor_system_binds_peer_envelopes_to_the_binary_serializer_not_json()
    {
        var envelope = new PeerEnvelope(2, new Proposal(7, 5, Txns(10, E4 + 1)));
        var peer = ActorSystem.Create("peer-serializer", PeerSerialization.WithPeerSerializer(ConfigurationFactory.Empty));
        var plain = ActorSystem.Create("plain");
        try
        {
            var serializer = Assert.IsType<PeerSerializer>(peer.Serialization.FindSerializerFor(envelope));
            Assert.Equal(4711, serializer.Identifier);
            Assert.Same(serializer, peer.Serialization.FindSerializerForType(typeof(PeerEnvelope)));
            // The same system without the binding would have sent it as JSON: the binding is what changes that.
            Assert.IsNotType<PeerSerializer>(plain.Serialization.FindSerializerFor(envelope));

            var bytes = serializer.ToBinary(envelope);
            string manifest = Akka.Serialization.Serialization.ManifestFor(serializer, envelope);
            Assert.Equal("pr", manifest);
            var back = (PeerEnvelope)peer.Serialization.Deserialize(bytes, serializer.Identifier, manifest);
            AssertSame(envelope, back, "through Akka's Serialization");
        }
        finally
        {
            await Task.WhenAll(peer.Terminate(), plain.Terminate());
        }
    }

    [Fact]
    public void An_unknown_payload_is_refused_by_name_never_sent_as_json()
    {
        var e = Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new ToMember(1, 1, new Applied(5)))));
        Assert.Contains(typeof(Applied).FullName!, e.Message);
        Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1, null!))));
        var snap = Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new SnapChunk(1, 1, 0, 0, 1, "not bytes"))));
        Assert.Contains("System.String", snap.Message);
    }

    [Fact]
    public void A_record_that_does_not_match_its_opcode_is_refused_when_sent()
    {
        var wrong = new ClientRequest(0x42, 1, 1, OpCode.Delete, new SetDataRequest("/a", null, 1), []);
        var e = Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1, new ForwardedWrites([wrong])))));
        Assert.Contains("DeleteRequest", e.Message);
        var bodiless = new ClientRequest(0x42, 1, 1, OpCode.CloseSession, new PathRequest("/a"), []);
        Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1, new ForwardedWrites([bodiless])))));
        var v1 = new ClientRequest(0x42, 1, 1, OpCode.SetWatches2, SampleRecord(OpCode.SetWatches), []);
        Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1, new ForwardedWrites([v1])))));
    }

    [Fact]
    public void A_txn_or_record_the_codecs_cannot_encode_is_a_serialization_error_which_keeps_the_association()
    {
        // Akka.Remote drops a message whose serializer throws SerializationException; other exceptions fail the association.
        var nested = new SequencedTxn(new TxnHeader(1, 1, E4 + 1, 0), new MultiTxn([new MultiTxn([])]));
        var e = Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(7, 1, [nested]))));
        Assert.IsType<InvalidOperationException>(e.InnerException);
        var badMulti = new MultiRequest([new MultiOp(OpCode.Multi, new PathRequest("/a"))]);
        Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1,
            new ForwardedWrites([new ClientRequest(1, 1, 1, OpCode.Multi, badMulti, [])])))));
        Assert.Throws<SerializationException>(() => PeerCodec.ToBytes(new PeerEnvelope(1, new Forwarded(1, 1,
            new ForwardedWrites([new ClientRequest(1, 1, 1, OpCode.Delete, new DeleteRequest("/a", 1), null!)])))));
    }

    [Fact]
    public void The_serializer_refuses_what_is_not_a_peer_envelope_and_unknown_manifests()
    {
        Assert.Throws<SerializationException>(() => new PeerSerializer(null!).ToBinary(new Ping(1, 1)));
        Assert.Throws<SerializationException>(() => new PeerSerializer(null!).Manifest("text"));
        var e = Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(new byte[40], "zz"));
        Assert.Contains("'zz'", e.Message);
    }

    [Theory, MemberData(nameof(EveryMessage))]
    public void Every_truncation_and_any_trailing_byte_is_an_error(string name, PeerEnvelope envelope)
    {
        var bytes = PeerCodec.ToBytes(envelope);
        string manifest = PeerCodec.Manifest(envelope.Message);
        // Every prefix of the short messages; a sample of the long ones' (each is a full decode).
        int step = Math.Max(1, bytes.Length / 500);
        for (int n = 0; n < bytes.Length; n += step)
        {
            var prefix = bytes[..n];
            Assert.True(Throws(() => PeerCodec.FromBytes(prefix, manifest)), $"{name}: a {n}-byte prefix of {bytes.Length} decoded");
        }
        Assert.True(Throws(() => PeerCodec.FromBytes([.. bytes, 0], manifest)), $"{name}: a trailing byte was accepted");
    }

    [Fact]
    public void Garbage_and_flipped_bytes_decode_or_fail_cleanly_never_crash()
    {
        var random = new Random(12);
        int decoded = 0, refused = 0;
        foreach (string manifest in PeerCodec.Manifests)
            for (int i = 0; i < 300; i++)
            {
                var garbage = new byte[random.Next(0, 120)];
                random.NextBytes(garbage);
                if (Throws(() => PeerCodec.FromBytes(garbage, manifest))) refused++; else decoded++;
            }
        foreach (var row in EveryMessage())
        {
            var envelope = (PeerEnvelope)row[1];
            var bytes = PeerCodec.ToBytes(envelope);
            for (int i = 0; i < 50; i++)
            {
                var flipped = (byte[])bytes.Clone();
                flipped[random.Next(flipped.Length)] ^= (byte)(1 << random.Next(8));
                if (Throws(() => PeerCodec.FromBytes(flipped, PeerCodec.Manifest(envelope.Message)))) refused++; else decoded++;
            }
        }
        output.WriteLine($"garbage and flipped bytes: {decoded} decoded as some message, {refused} refused");
        Assert.True(refused > 0);
    }

    [Fact]
    public void Hostile_counts_are_refused_before_anything_is_allocated()
    {
        // A proposal claiming int.MaxValue txns in 28 bytes; forwarded writes claiming int.MaxValue requests.
        var proposal = Convert.FromHexString("0000000000000001" + "0000000000000007" + "0000000000000001" + "7FFFFFFF");
        Assert.Contains("count", Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(proposal, "pr")).Message);
        var writes = Convert.FromHexString("0000000000000001" + "0000000000000007" + "0000000000000001" + "01" + "7FFFFFFF");
        Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(writes, "fw"));
        var snap = Convert.FromHexString("0000000000000001" + "0000000000000007" + "0000000000000001" + "0000000000000000" + "00000000" + "00000001" + "7FFFFFFF" + "00");
        Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(snap, "sc"));
        // A chunk outside its own count is not a chunk of any snapshot.
        foreach (string indexCount in new[] { "00000001" + "00000001", "FFFFFFFF" + "00000002", "00000000" + "00000000" })
        {
            var outside = Convert.FromHexString("0000000000000001" + "0000000000000007" + "0000000000000001" + "0000000000000000" + indexCount + "00000000");
            Assert.Contains("not a chunk", Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(outside, "sc")).Message);
        }
        var state = Convert.FromHexString("0000000000000001" + new string('0', 64) + "04");
        Assert.Contains("peer state", Assert.Throws<SerializationException>(() => PeerCodec.FromBytes(state, "vo")).Message);
    }

    [Fact]
    public void A_snapshot_cut_by_the_leaders_chunk_stream_travels_as_the_same_bytes_in_exact_size_chunks()
    {
        var image = Enumerable.Range(0, 10_000).Select(i => (byte)(i * 31 + 7)).ToArray();
        var chunks = new List<byte[]>();
        var stream = new SnapshotProducer.ChunkStream(4096, (index, chunk) =>
        {
            Assert.Equal(chunks.Count, index);
            chunks.Add(chunk);
        });
        stream.Expect(image.Length);
        Assert.Equal(3, stream.Count);
        foreach (var piece in image.Chunk(777)) stream.Write(piece); // written in pieces that do not line up with chunks
        stream.Finish();
        Assert.Equal([4096, 4096, 1808], chunks.Select(c => c.Length));
        var received = new List<byte>();
        for (int i = 0; i < chunks.Count; i++)
        {
            var sent = PeerCodec.ToBytes(new PeerEnvelope(1, new SnapChunk(7, 2 + i, E4 + 9, i, chunks.Count, chunks[i])));
            // A slice of a bigger array is encoded exactly as the same bytes in an array of their own.
            var slice = new ReadOnlyMemory<byte>([0, .. chunks[i], 0], 1, chunks[i].Length);
            Assert.Equal(PeerCodec.ToBytes(new PeerEnvelope(1, new SnapChunk(7, 2 + i, E4 + 9, i, chunks.Count, slice))), sent);
            var back = (SnapChunk)PeerCodec.FromBytes(sent, "sc").Message;
            Assert.Equal((i, 3, E4 + 9), (back.Index, back.Count, back.Zxid));
            received.AddRange((byte[])back.Chunk);
        }
        Assert.Equal(image, received);
        // The serializer writing other than it announced is refused, not streamed.
        var over = new SnapshotProducer.ChunkStream(4096, (_, _) => { });
        over.Expect(10);
        Assert.Throws<InvalidOperationException>(() => over.Write(new byte[11]));
        var under = new SnapshotProducer.ChunkStream(4096, (_, _) => { });
        under.Expect(10);
        under.Write(new byte[9]);
        Assert.Throws<InvalidOperationException>(under.Finish);
    }

    [Fact]
    public void A_batch_sent_to_several_followers_is_encoded_once_and_a_changed_list_is_encoded_again()
    {
        var txns = Txns(100, E4 + 1).ToList();
        var first = PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(7, 5, txns)));
        var second = PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(8, 5, txns)));
        Assert.Equal(first.AsSpan(24).ToArray(), second.AsSpan(24).ToArray());
        // The cache guards against a list changed after it was sent (which no sender should do): count and ends checked.
        txns.RemoveAt(99);
        var shorter = (Proposal)PeerCodec.FromBytes(PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(7, 6, txns))), "pr").Message;
        Assert.Equal(TxnBatchCodec.ToBytes(txns), TxnBatchCodec.ToBytes(shorter.Txns));
    }

    [Fact]
    public void Measures_bytes_per_txn_and_time_per_1000_txn_proposal()
    {
        var txns = Txns(1000, E4 + 1);
        var proposal = new PeerEnvelope(1, new Proposal(7, 5, txns));
        var bytes = PeerCodec.ToBytes(proposal);
        double journalBytes = txns.Sum(t => TxnCodec.ToBytes(t).Length) / 1000.0;
        const int rounds = 200;
        for (int i = 0; i < 20; i++) _ = PeerCodec.FromBytes(PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(7, 5, txns.ToArray()))), "pr");

        var fresh = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) _ = PeerCodec.ToBytes(new PeerEnvelope(1, new Proposal(7, 5, txns.ToArray())));
        fresh.Stop();
        var cached = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) _ = PeerCodec.ToBytes(proposal);
        cached.Stop();
        var decode = Stopwatch.StartNew();
        for (int i = 0; i < rounds; i++) _ = PeerCodec.FromBytes(bytes, "pr");
        decode.Stop();

        double Us(Stopwatch s) => s.Elapsed.TotalMicroseconds / rounds;
        output.WriteLine($"1,000-txn proposal (every txn type in turn): {bytes.Length} bytes, {bytes.Length / 1000.0:F1} bytes/txn " +
            $"({journalBytes:F1} of them the journal's encoding)");
        output.WriteLine($"encode {Us(fresh):F0} µs first time, {Us(cached):F0} µs for each further follower; decode {Us(decode):F0} µs");
        Assert.Equal(bytes.Length, 28 + 4 * 1000 + (int)Math.Round(journalBytes * 1000));
    }

    private static PeerEnvelope RoundTrip(PeerEnvelope envelope) =>
        PeerCodec.FromBytes(PeerCodec.ToBytes(envelope), PeerCodec.Manifest(envelope.Message));

    internal static bool Throws(Action decode)
    {
        try { decode(); return false; }
        catch (SerializationException) { return true; }
    }

    /// <summary>Field-by-field equality: records by their public properties, arrays and lists element by element.</summary>
    internal static void AssertSame(object? expected, object? actual, string where)
    {
        if (expected is null || actual is null)
        {
            Assert.True(expected is null && actual is null, $"{where}: {expected ?? "null"} vs {actual ?? "null"}");
            return;
        }
        var type = expected.GetType();
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal)
        {
            Assert.True(expected.Equals(actual), $"{where}: {expected} vs {actual}");
            return;
        }
        if (expected is IEnumerable items)
        {
            var a = items.Cast<object?>().ToList();
            var b = Assert.IsAssignableFrom<IEnumerable>(actual).Cast<object?>().ToList();
            Assert.True(a.Count == b.Count, $"{where}: {a.Count} items vs {b.Count}");
            for (int i = 0; i < a.Count; i++) AssertSame(a[i], b[i], $"{where}[{i}]");
            return;
        }
        Assert.True(type == actual.GetType(), $"{where}: {type.Name} vs {actual.GetType().Name}");
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.GetIndexParameters().Length == 0))
            AssertSame(p.GetValue(expected), p.GetValue(actual), $"{where}.{p.Name}");
    }
}
