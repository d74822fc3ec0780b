using Coord.Actors.Prep;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Host.Connections;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// Mutated frames from the captured corpus, fed straight to Coord's request decoder, and whatever decodes
/// fed on to the pure core (prep, apply, reads). The decoder may only reject with JuteException and may
/// never allocate past the frame it was given; the core must turn every decodable request into a reply
/// value and keep its invariants (Apply throws on a broken one).
/// </summary>
public sealed class DecoderFuzzSpecs(ITestOutputHelper output)
{
    private const int Frames = 120_000;
    private const int FrameBytesMax = 1_048_575;

    [Fact]
    public void Mutated_frames_never_crash_the_decoder_or_the_core()
    {
        var corpus = FuzzCorpus.Load();
        var requests = FuzzCorpus.RequestFrames(corpus);
        var connects = corpus.Select(c => c.Connect).ToList();
        Assert.NotEmpty(requests);

        var rng = new Random(20261122);
        var tree = new DataTree();
        var prep = new Preparer(tree, new PrepSettings(ExtendedTypesEnabled: true));
        long zxid = 0;
        const long sid = 0x1234;
        tree.Apply(new SequencedTxn(new TxnHeader(sid, 0, ++zxid, 1000), new CreateSessionTxn(sid, 30_000, new byte[16])));
        var session = new SessionContext(sid, [new Id("ip", "127.0.0.1"), new Id("digest", "u1:fpT/y03U+EjItKZOSLGvjnJlyng=")]);

        int decoded = 0, rejected = 0, writes = 0, reads = 0;
        long allocationMax = 0;
        for (int i = 0; i < Frames; i++)
        {
            bool connect = i % 20 == 0;
            var source = connect ? connects[rng.Next(connects.Count)] : requests[rng.Next(requests.Count)];
            var frame = FrameMutator.Mutate(source, rng, requests[rng.Next(requests.Count)]);
            var payload = frame.AsSpan(Math.Min(4, frame.Length));
            if (payload.Length > FrameBytesMax) payload = payload[..FrameBytesMax];

            long before = GC.GetAllocatedBytesForCurrentThread();
            DecodedRequest request = default;
            bool ok;
            try
            {
                if (connect) RequestDecoder.DecodeConnect(payload);
                else request = RequestDecoder.Decode(payload);
                ok = true;
            }
            catch (JuteException)
            {
                ok = false;
            }
            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            allocationMax = Math.Max(allocationMax, allocated);
            // Records copy at most the frame's bytes, plus object overhead per field/element.
            Assert.True(allocated <= 64L * payload.Length + 4096,
                $"decoding {payload.Length} bytes allocated {allocated} bytes (frame {i})");
            if (!ok) { rejected++; continue; }
            decoded++;
            if (connect || request.Record is null) continue;

            if (IsWrite(request.Op))
            {
                writes++;
                var txn = prep.Prepare(request.Op, request.Record, session, ++zxid, 2000 + i);
                tree.Apply(new SequencedTxn(new TxnHeader(sid, request.Xid, zxid, 2000 + i), txn));
                prep.Applied(zxid);
            }
            else if (IsRead(request.Op))
            {
                reads++;
                TreeReads.Execute(tree, request.Op, request.Record, sid, session.AuthIds);
            }
        }
        output.WriteLine($"frames={Frames} decoded={decoded} rejected={rejected} writes={writes} reads={reads} " +
                         $"nodes={tree.NodeCount} max-alloc-per-frame={allocationMax} B");
        Assert.True(rejected > Frames / 10, "the mutator should produce plenty of malformed frames");
        Assert.True(writes > 1000 && reads > 1000, "enough mutated requests must reach the core to mean something");
    }

    private static bool IsWrite(OpCode op) => op is OpCode.Create or OpCode.Create2 or OpCode.CreateContainer or OpCode.CreateTtl
        or OpCode.Delete or OpCode.DeleteContainer or OpCode.SetData or OpCode.SetAcl or OpCode.Multi;

    private static bool IsRead(OpCode op) => op is OpCode.Exists or OpCode.GetData or OpCode.GetChildren or OpCode.GetChildren2
        or OpCode.GetAcl or OpCode.GetAllChildrenNumber or OpCode.GetEphemerals or OpCode.MultiRead;
}
