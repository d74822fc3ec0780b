using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Fuzz;

/// <summary>
/// Seed inputs for <see cref="FrameTarget"/>: connections recorded from real clients (the interop specs' corpus,
/// <c>specs/Coord.Interop.Specs/Fuzz/corpus</c>, recorded against ZooKeeper: kazoo, zkCli, the differential run) cut
/// into a ConnectRequest plus a few requests of each opcode, and hand-made frames for what no recorded session sent
/// (ping, setWatches/setWatches2, checkWatches, multiRead, sasl, reconfig, an unknown opcode, a pre-3.4 connect, a
/// four-letter word).
/// </summary>
public static class FrameSeeds
{
    /// <summary>Recorded request frames kept per opcode: afl-fuzz works best from small, different inputs.</summary>
    private const int FramesPerOpMax = 3;
    private const int RecordedFrameBytesMax = 2048;

    public static IEnumerable<(string Name, byte[] Input)> All(string interopCorpus)
    {
        foreach (var seed in Recorded(interopCorpus)) yield return seed;
        foreach (var seed in HandMade()) yield return seed;
    }

    private static IEnumerable<(string, byte[])> Recorded(string interopCorpus)
    {
        var byOp = new SortedDictionary<int, List<(string Conn, byte[] Connect, byte[] Frame)>>();
        foreach (var file in Directory.GetFiles(interopCorpus, "*.bin").Order(StringComparer.Ordinal))
        {
            var frames = Split(File.ReadAllBytes(file));
            if (frames.Count == 0) continue;
            foreach (var frame in frames.Skip(1))
            {
                if (frame.Length < 12 || frame.Length > RecordedFrameBytesMax) continue;
                int op = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(8));
                if (!byOp.TryGetValue(op, out var list)) byOp[op] = list = [];
                list.Add((Path.GetFileNameWithoutExtension(file), frames[0], frame));
            }
        }
        foreach (var (op, frames) in byOp)
        {
            // The smallest, the largest and one from the middle: different shapes of the same record.
            var sorted = frames.OrderBy(f => f.Frame.Length).ThenBy(f => Convert.ToHexString(f.Frame), StringComparer.Ordinal).ToList();
            var picks = new[] { 0, sorted.Count / 2, sorted.Count - 1 }.Distinct().Take(FramesPerOpMax);
            int n = 0;
            foreach (int i in picks)
            {
                var (conn, connect, frame) = sorted[i];
                yield return ($"seed-recorded-{Name(op)}-{n++}-{conn}", [.. connect, .. frame]);
            }
        }
    }

    private static IEnumerable<(string, byte[])> HandMade()
    {
        byte[] connect = Frame(w => new ConnectRequest(0, 0, 30_000, 0, new byte[16], false).Write(w));
        yield return ("seed-connect-new-session", connect);
        yield return ("seed-connect-pre-3.4", Frame(w => new ConnectRequest(0, 0x1_0000_0002, 4_000, 0x42, new byte[16], false, HasReadOnlyField: false).Write(w)));
        yield return ("seed-connect-reattach-readonly", Frame(w => new ConnectRequest(0, 0x1_0000_0009, 10_000, 0x1234_5678, Enumerable.Range(0, 16).Select(i => (byte)i).ToArray(), true).Write(w)));
        yield return ("seed-four-letter-word", "ruok"u8.ToArray());

        int xid = 1;
        foreach (var (op, record) in SampleRequests())
            yield return ($"seed-op-{Name((int)op)}", [.. connect, .. Request(op == OpCode.Ping ? Xids.Ping : xid++, op, record)]);

        // A pipelined connection: several requests back to back, as clients send them.
        yield return ("seed-pipeline", [.. connect,
            .. Request(1, OpCode.Create, new CreateRequest("/a", [1], Acl.OpenAclUnsafe, (int)CreateMode.Persistent)),
            .. Request(2, OpCode.GetData, new PathWatchRequest("/a", true)),
            .. Request(Xids.Ping, OpCode.Ping, null),
            .. Request(3, OpCode.CloseSession, null)]);
    }

    /// <summary>One request of every opcode the decoder knows, plus bodiless and unknown ones.</summary>
    public static IEnumerable<(OpCode Op, object? Record)> SampleRequests()
    {
        yield return (OpCode.Create, new CreateRequest("/a", [1, 2], Acl.OpenAclUnsafe, (int)CreateMode.EphemeralSequential));
        yield return (OpCode.Create2, new CreateRequest("/b", null, Acl.CreatorAllAcl, (int)CreateMode.Persistent));
        yield return (OpCode.CreateContainer, new CreateRequest("/c", [], Acl.ReadAclUnsafe, (int)CreateMode.Container));
        yield return (OpCode.CreateTtl, new CreateTtlRequest("/t", [9], Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 60_000));
        yield return (OpCode.Delete, new DeleteRequest("/a", 3));
        yield return (OpCode.Exists, new PathWatchRequest("/w", true));
        yield return (OpCode.GetData, new PathWatchRequest("/w", false));
        yield return (OpCode.GetChildren, new PathWatchRequest("/", true));
        yield return (OpCode.GetChildren2, new PathWatchRequest("/", false));
        yield return (OpCode.SetData, new SetDataRequest("/a", "v2"u8.ToArray(), -1));
        yield return (OpCode.GetAcl, new PathRequest("/p"));
        yield return (OpCode.Sync, new PathRequest("/"));
        yield return (OpCode.GetEphemerals, new PathRequest("/"));
        yield return (OpCode.GetAllChildrenNumber, new PathRequest("/p"));
        yield return (OpCode.DeleteContainer, new PathRequest("/c"));
        yield return (OpCode.SetAcl, new SetAclRequest("/a", [new Acl(Perms.Read | Perms.Admin, new Id("digest", "u:h"))], 2));
        yield return (OpCode.Check, new CheckVersionRequest("/a", 7));
        yield return (OpCode.Multi, new MultiRequest(
        [
            new(OpCode.Create, new CreateRequest("/m", [1], Acl.OpenAclUnsafe, 0)),
            new(OpCode.CreateTtl, new CreateTtlRequest("/m/t", null, Acl.OpenAclUnsafe, (int)CreateMode.PersistentWithTtl, 5_000)),
            new(OpCode.SetData, new SetDataRequest("/m", [2], 0)),
            new(OpCode.Check, new CheckVersionRequest("/m", 1)),
            new(OpCode.Delete, new DeleteRequest("/m/t", -1)),
        ]));
        yield return (OpCode.MultiRead, new MultiRequest(
            [new(OpCode.GetData, new PathWatchRequest("/a", false)), new(OpCode.GetChildren, new PathWatchRequest("/", false))]));
        yield return (OpCode.CheckWatches, new WatchesRequest("/w", WatcherType.Data));
        yield return (OpCode.RemoveWatches, new WatchesRequest("/w", WatcherType.Any));
        yield return (OpCode.AddWatch, new AddWatchRequest("/w", AddWatchMode.PersistentRecursive));
        yield return (OpCode.SetWatches, new SetWatchesRequest(0x10, ["/d"], ["/e"], ["/c"], [], [], false));
        yield return (OpCode.SetWatches2, new SetWatchesRequest(0x11, ["/d"], [], ["/c"], ["/p"], ["/r", "/s"], true));
        yield return (OpCode.Auth, new AuthPacket(0, "digest", "u:pw"u8.ToArray()));
        yield return (OpCode.Reconfig, new ReconfigRequest(null, "2", null, -1));
        yield return (OpCode.Sasl, new SaslToken([1, 2, 3]));
        yield return (OpCode.Ping, null);
        yield return (OpCode.CloseSession, null);
        yield return (OpCode.WhoAmI, null);
        yield return ((OpCode)999, null);
    }

    private static string Name(int op) => Enum.IsDefined((OpCode)op) ? ((OpCode)op).ToString() : $"op{op}";

    private static byte[] Request(int xid, OpCode op, object? record) => Frame(w =>
    {
        new RequestHeader(xid, op).Write(w);
        switch (record)
        {
            case null: break;
            case SetWatchesRequest s: s.Write(w); break;
            case IJuteWritable j: j.Write(w); break;
            default: throw new InvalidOperationException($"no encoder for {record.GetType().Name}");
        }
    });

    private static byte[] Frame(Action<JuteWriter> body)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        body(w);
        w.EndFrame(frame);
        return w.ToArray();
    }

    /// <summary>Cuts a recorded connection into frames (prefix included); a trailing partial frame is dropped.</summary>
    private static List<byte[]> Split(ReadOnlySpan<byte> stream)
    {
        var frames = new List<byte[]>();
        int at = 0;
        while (stream.Length - at >= 4)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(stream[at..]);
            if (length < 0 || stream.Length - at - 4 < length) break;
            frames.Add(stream.Slice(at, 4 + length).ToArray());
            at += 4 + length;
        }
        return frames;
    }
}
