using System.Buffers.Binary;
using System.Runtime.Serialization;
using System.Text;
using Coord.Actors.Replication;
using Coord.Protocol;

namespace Coord.Actors.Ensemble;

/// <summary>
/// The binary form of a <see cref="PeerEnvelope"/>: a short manifest names the message type, and the bytes are
/// big-endian, <c>long from</c> then the message's fields in declaration order (a link message starts with
/// <c>long linkId, long seq</c>). Proposals carry txns in the journal's encoding (<see cref="TxnBatchCodec"/>), a
/// snapshot chunk its bytes as they are, Forwarded/ToMember a tagged payload (<see cref="PayloadCodec"/>).
/// <para>
/// Manifests and layouts are frozen by golden-byte specs: both ends of a link must agree, and members of one
/// ensemble may briefly run different builds during a rolling restart. Change a layout only under a new manifest.
/// </para>
/// Decoding checks every length against the bytes present and refuses trailing bytes, so a damaged or foreign
/// message is a <see cref="SerializationException"/>, never a crash, a hang or a huge allocation.
/// </summary>
public static class PeerCodec
{
    // One per message type; a manifest travels with every message, so they are short.
    public const string VoteManifest = "vo";
    public const string FollowerInfoManifest = "fi";
    public const string LeaderInfoManifest = "li";
    public const string AckEpochManifest = "ae";
    public const string TruncManifest = "tr";
    // "sn" was the whole snapshot in one message (before SNAP was streamed in chunks): retired, never reused.
    public const string SnapChunkManifest = "sc";
    public const string SnapChunkAckManifest = "sa";
    public const string LinkResetManifest = "lr";
    public const string ProposalManifest = "pr";
    public const string NewLeaderManifest = "nl";
    public const string AckNewLeaderManifest = "an";
    public const string UpToDateManifest = "ud";
    public const string AckManifest = "ak";
    public const string CommitManifest = "cm";
    public const string PingManifest = "pi";
    public const string PongManifest = "po";
    public const string ForwardedManifest = "fw";
    public const string ToMemberManifest = "tm";

    /// <summary>
    /// A <see cref="PeerBatch"/>: <c>long from, int count</c>, then per message its manifest (<c>int length</c>, ASCII),
    /// <c>int length</c> and its fields as its own manifest lays them out (without <c>from</c>). Not a message type,
    /// so not in <see cref="Manifests"/>; a batch never holds a snapshot chunk or another batch.
    /// </summary>
    public const string BatchManifest = "bt";

    /// <summary>The most messages one batch may hold; a count beyond it is refused as hostile.</summary>
    public const int BatchMessagesMax = 1 << 16;

    /// <summary>The shortest message in a batch: manifest length and two letters, body length, link id and seq.</summary>
    private const int BatchedMessageBytesMin = 4 + 2 + 4 + 16;

    /// <summary>Every manifest, one per <see cref="PeerMessage"/> type.</summary>
    public static IReadOnlyList<string> Manifests { get; } =
    [
        VoteManifest, FollowerInfoManifest, LeaderInfoManifest, AckEpochManifest, TruncManifest, SnapChunkManifest,
        SnapChunkAckManifest, ProposalManifest, NewLeaderManifest, AckNewLeaderManifest, UpToDateManifest, AckManifest,
        CommitManifest, PingManifest, PongManifest, ForwardedManifest, ToMemberManifest, LinkResetManifest,
    ];

    /// <summary>A writer kept per thread is dropped after a message bigger than this, so one big message does not pin its buffer.</summary>
    private const int ReusedWriterBytesMax = 1 << 20;

    [ThreadStatic] private static JuteWriter? t_writer;

    public static string Manifest(PeerMessage message) => message switch
    {
        Vote => VoteManifest,
        FollowerInfo => FollowerInfoManifest,
        LeaderInfo => LeaderInfoManifest,
        AckEpoch => AckEpochManifest,
        Trunc => TruncManifest,
        SnapChunk => SnapChunkManifest,
        SnapChunkAck => SnapChunkAckManifest,
        LinkReset => LinkResetManifest,
        Proposal => ProposalManifest,
        NewLeader => NewLeaderManifest,
        AckNewLeader => AckNewLeaderManifest,
        UpToDate => UpToDateManifest,
        Ack => AckManifest,
        Commit => CommitManifest,
        Ping => PingManifest,
        Pong => PongManifest,
        Forwarded => ForwardedManifest,
        ToMember => ToMemberManifest,
        null => throw new SerializationException("a peer envelope without a message"),
        _ => throw new SerializationException($"no peer encoding for message type {message.GetType().FullName}"),
    };

    /// <summary>
    /// Encodes <paramref name="envelope"/>; whatever cannot be encoded is a <see cref="SerializationException"/>.
    /// That matters beyond the message: Akka.Remote's endpoint writer logs and drops a message whose serializer throws
    /// SerializationException and keeps the association, but treats most other exceptions as an association failure
    /// and gates the address for seconds, cutting the link for every later message too.
    /// </summary>
    public static byte[] ToBytes(PeerEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        try
        {
            return Encode(envelope);
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException)
        {
            // TxnCodec and the wire records refuse what they cannot encode with InvalidOperationException; a null
            // where a list belongs surfaces as NullReferenceException.
            throw new SerializationException($"cannot encode {envelope.Message?.GetType().Name ?? "null"} from {envelope.From}: {e.Message}", e);
        }
    }

    private static byte[] Encode(PeerEnvelope envelope)
    {
        _ = Manifest(envelope.Message); // refuses an unknown type before anything is written
        if (envelope.Message is SnapChunk chunk) return SnapChunkToBytes(envelope.From, chunk);
        return WithThreadWriter(envelope, static (w, e) =>
        {
            w.WriteLong(e.From);
            WriteMessage(w, e.Message);
        });
    }

    /// <summary>
    /// Runs <paramref name="write"/> on this thread's reused writer (reset) and returns what it wrote. The writer is taken
    /// off the thread meanwhile, so a nested call gets its own; one grown past <see cref="ReusedWriterBytesMax"/> is let go.
    /// </summary>
    private static byte[] WithThreadWriter<T>(T state, Action<JuteWriter, T> write)
    {
        var w = t_writer ?? new JuteWriter(1024);
        t_writer = null;
        try
        {
            w.Reset();
            write(w, state);
            return w.ToArray();
        }
        finally
        {
            if (w.Length <= ReusedWriterBytesMax) t_writer = w;
        }
    }

    /// <summary>Encodes <paramref name="batch"/> (see <see cref="BatchManifest"/>); what cannot be encoded is a <see cref="SerializationException"/>.</summary>
    public static byte[] BatchToBytes(PeerBatch batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Messages is not { Count: > 0 and <= BatchMessagesMax } messages)
            throw new SerializationException($"a peer batch holds 1 to {BatchMessagesMax} messages, not {batch.Messages?.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "null"}");
        try
        {
            return WithThreadWriter(batch, static (w, b) =>
            {
                w.WriteLong(b.From);
                w.WriteInt(b.Messages.Count);
                foreach (var message in b.Messages)
                {
                    string manifest = Manifest(message);
                    if (manifest == SnapChunkManifest) throw new SerializationException("a snapshot chunk travels alone, never in a peer batch");
                    w.WriteString(manifest);
                    int frame = w.BeginFrame();
                    WriteMessage(w, message);
                    w.EndFrame(frame);
                }
            });
        }
        catch (Exception e) when (e is InvalidOperationException or NullReferenceException)
        {
            throw new SerializationException($"cannot encode a batch of {messages.Count} from {batch.From}: {e.Message}", e);
        }
    }

    private static void WriteMessage(JuteWriter w, PeerMessage message)
    {
        if (message is Vote v)
        {
            w.WriteLong(v.Leader); w.WriteLong(v.Zxid); w.WriteLong(v.Epoch); w.WriteLong(v.Round); w.WriteByte((byte)v.State);
            return;
        }
        var link = (LinkMessage)message;
        w.WriteLong(link.LinkId);
        w.WriteLong(link.Seq);
        switch (link)
        {
            case FollowerInfo m: w.WriteLong(m.AcceptedEpoch); w.WriteBool(m.Observer); break;
            case LeaderInfo m: w.WriteLong(m.Epoch); break;
            case AckEpoch m: w.WriteLong(m.CurrentEpoch); w.WriteLong(m.LastZxid); w.WriteLong(m.TruncateFloor); break;
            case Trunc m: w.WriteLong(m.Zxid); break;
            case Proposal m: TxnBatchCodec.Write(w, m.Txns ?? throw new SerializationException("a proposal without a txn list")); break;
            case NewLeader m: w.WriteLong(m.Epoch); break;
            case AckNewLeader m: w.WriteLong(m.Epoch); w.WriteLong(m.LastZxid); break;
            case UpToDate m: w.WriteLong(m.Committed); break;
            case Ack m: w.WriteLong(m.Zxid); break;
            case Commit m: w.WriteLong(m.Zxid); break;
            case Ping or Pong: break;
            case Forwarded m: PayloadCodec.Write(w, m.Payload); break;
            case ToMember m: PayloadCodec.Write(w, m.Payload); break;
            case SnapChunkAck m: w.WriteInt(m.Index); break;
            case LinkReset m: w.WriteString(m.Reason ?? throw new SerializationException("a link reset without a reason")); break;
            default: throw new SerializationException($"no peer encoding for message type {link.GetType().FullName}");
        }
    }

    /// <summary>
    /// A snapshot chunk (a slice of the leader's snapshot bytes, a MiB or so): written straight into one exact-size array.
    /// Layout: <c>long from, long linkId, long seq, long zxid, int index, int count, int length, bytes</c>.
    /// </summary>
    private static byte[] SnapChunkToBytes(long from, SnapChunk chunk)
    {
        ReadOnlySpan<byte> piece = chunk.Chunk switch
        {
            byte[] a => a,
            ReadOnlyMemory<byte> m => m.Span,
            ArraySegment<byte> a => a,
            _ => throw new SerializationException(
                $"a snapshot chunk travels as bytes (byte[] or ReadOnlyMemory<byte>), not as {chunk.Chunk?.GetType().FullName ?? "null"}"),
        };
        var bytes = new byte[8 + 8 + 8 + 8 + 4 + 4 + 4 + piece.Length];
        var s = bytes.AsSpan();
        BinaryPrimitives.WriteInt64BigEndian(s, from);
        BinaryPrimitives.WriteInt64BigEndian(s[8..], chunk.LinkId);
        BinaryPrimitives.WriteInt64BigEndian(s[16..], chunk.Seq);
        BinaryPrimitives.WriteInt64BigEndian(s[24..], chunk.Zxid);
        BinaryPrimitives.WriteInt32BigEndian(s[32..], chunk.Index);
        BinaryPrimitives.WriteInt32BigEndian(s[36..], chunk.Count);
        BinaryPrimitives.WriteInt32BigEndian(s[40..], piece.Length);
        piece.CopyTo(s[44..]);
        return bytes;
    }

    public static PeerEnvelope FromBytes(byte[] bytes, string manifest)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        if (!Manifests.Contains(manifest)) throw new SerializationException($"unknown peer message manifest '{manifest}'");
        try
        {
            var r = new PeerReader(bytes);
            long from = r.ReadLong();
            var message = ReadMessage(ref r, manifest);
            r.ExpectEnd(manifest);
            return new PeerEnvelope(from, message);
        }
        catch (JuteException e)
        {
            throw new SerializationException($"peer message '{manifest}' of {bytes.Length} bytes is malformed: {e.Message}", e);
        }
    }

    public static PeerBatch BatchFromBytes(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        try
        {
            var r = new PeerReader(bytes);
            long from = r.ReadLong();
            int count = r.ReadCount("peer batch", BatchedMessageBytesMin);
            if (count is < 1 or > BatchMessagesMax) throw new JuteException($"a peer batch of {count} messages (1 to {BatchMessagesMax})");
            var messages = new PeerMessage[count];
            for (int i = 0; i < count; i++)
            {
                var name = r.Take(r.ReadLength("batched message manifest"));
                string? manifest = KnownManifest(name);
                if (manifest is null or SnapChunkManifest)
                    throw new JuteException($"message {i} of the batch has manifest '{Encoding.ASCII.GetString(name)}', which a batch does not carry");
                var body = new PeerReader(r.Take(r.ReadLength("batched message")));
                messages[i] = ReadMessage(ref body, manifest);
                body.ExpectEnd(manifest);
            }
            r.ExpectEnd(BatchManifest);
            return new PeerBatch(from, messages);
        }
        catch (JuteException e)
        {
            throw new SerializationException($"peer batch of {bytes.Length} bytes is malformed: {e.Message}", e);
        }
    }

    /// <summary>The manifest spelled by <paramref name="name"/>, without making a string of it; null if none is.</summary>
    private static string? KnownManifest(ReadOnlySpan<byte> name)
    {
        foreach (string known in Manifests)
        {
            if (name.Length != known.Length) continue;
            int i = 0;
            while (i < name.Length && name[i] == known[i]) i++;
            if (i == name.Length) return known;
        }
        return null;
    }

    // Arguments are evaluated left to right, so each constructor call reads its fields in wire order.
    private static PeerMessage ReadMessage(ref PeerReader r, string manifest) => manifest switch
    {
        VoteManifest => new Vote(r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), ReadState(ref r)),
        FollowerInfoManifest => new FollowerInfo(r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadBool()),
        LeaderInfoManifest => new LeaderInfo(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        AckEpochManifest => new AckEpoch(r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong()),
        TruncManifest => new Trunc(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        SnapChunkManifest => ReadSnapChunk(ref r),
        SnapChunkAckManifest => new SnapChunkAck(r.ReadLong(), r.ReadLong(), r.ReadInt()),
        LinkResetManifest => new LinkReset(r.ReadLong(), r.ReadLong(), Encoding.UTF8.GetString(r.Take(r.ReadLength("link reset reason")))),
        ProposalManifest => new Proposal(r.ReadLong(), r.ReadLong(), TxnBatchCodec.Read(ref r)),
        NewLeaderManifest => new NewLeader(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        AckNewLeaderManifest => new AckNewLeader(r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong()),
        UpToDateManifest => new UpToDate(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        AckManifest => new Ack(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        CommitManifest => new Commit(r.ReadLong(), r.ReadLong(), r.ReadLong()),
        PingManifest => new Ping(r.ReadLong(), r.ReadLong()),
        PongManifest => new Pong(r.ReadLong(), r.ReadLong()),
        ForwardedManifest => new Forwarded(r.ReadLong(), r.ReadLong(), PayloadCodec.Read(r.TakeRest())),
        ToMemberManifest => new ToMember(r.ReadLong(), r.ReadLong(), PayloadCodec.Read(r.TakeRest())),
        _ => throw new SerializationException($"unknown peer message manifest '{manifest}'"),
    };

    private static SnapChunk ReadSnapChunk(ref PeerReader r)
    {
        long linkId = r.ReadLong(), seq = r.ReadLong(), zxid = r.ReadLong();
        int index = r.ReadInt(), count = r.ReadInt();
        if (count < 1 || index < 0 || index >= count) throw new JuteException($"snapshot chunk {index} of {count} is not a chunk of a snapshot");
        return new SnapChunk(linkId, seq, zxid, index, count, r.Take(r.ReadLength("snapshot chunk")).ToArray());
    }

    private static PeerState ReadState(ref PeerReader r)
    {
        byte state = r.ReadByte();
        return state <= (byte)PeerState.Observing ? (PeerState)state : throw new JuteException($"unknown peer state {state}");
    }
}
