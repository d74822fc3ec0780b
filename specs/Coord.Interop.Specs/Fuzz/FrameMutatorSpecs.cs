using System.Buffers.Binary;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>The mutator itself: total, deterministic, and it really changes frames.</summary>
public sealed class FrameMutatorSpecs
{
    [Fact]
    public void Every_mutation_kind_is_total_over_the_corpus_and_deterministic_per_seed()
    {
        var corpus = FuzzCorpus.Load();
        var frames = corpus.SelectMany(c => c.Frames).ToList();
        frames.Add([]);
        frames.Add([0, 0]);
        frames.Add([0, 0, 0, 0]);
        foreach (var kind in Enum.GetValues<FrameMutator.Kind>())
        {
            var changed = 0;
            for (var i = 0; i < frames.Count; i++)
            {
                var donor = frames[(i * 7 + 3) % frames.Count];
                var a = FrameMutator.Mutate(frames[i], new Random(i), kind, donor);
                var b = FrameMutator.Mutate(frames[i], new Random(i), kind, donor);
                Assert.Equal(a, b);
                if (!a.AsSpan().SequenceEqual(frames[i]))
                {
                    changed++;
                }
            }

            Assert.True(changed > frames.Count / 2, $"{kind} changed only {changed} of {frames.Count} frames");
        }
    }

    [Fact]
    public void Inner_length_fields_are_found_in_create_setData_setACL_auth_and_multi()
    {
        var requests = FuzzCorpus.RequestFrames();
        foreach (var (op, fieldsMin) in new[] { (1, 4), (5, 2), (7, 2), (100, 2), (14, 2), (15, 4) })
        {
            var frame = requests.First(f => f.Length >= 12 && BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(8)) == op);
            var fields = JuteLayout.LengthFields(frame, isConnect: false);
            Assert.True(fields.Count >= fieldsMin, $"opcode {op}: {fields.Count} length fields found");
            Assert.All(fields, at => Assert.InRange(at, 12, frame.Length - 4));
        }

        var connect = FuzzCorpus.Load()[0].Connect;
        Assert.Equal([4 + 24], JuteLayout.LengthFields(connect, isConnect: true));
    }

    [Fact]
    public void Random_mutations_are_total()
    {
        var requests = FuzzCorpus.RequestFrames();
        var rng = new Random(5);
        var grew = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var m = FrameMutator.Mutate(requests[rng.Next(requests.Count)], rng, requests[rng.Next(requests.Count)]);
            grew += m.Length > 1 << 16 ? 1 : 0;
        }

        Assert.True(grew < 100, "mutations stay small");
    }
}
