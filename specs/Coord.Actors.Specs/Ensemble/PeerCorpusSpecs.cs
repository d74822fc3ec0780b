using System.Buffers.Binary;
using Coord.Actors.Ensemble;
using Coord.Fuzz;
using Xunit.Abstractions;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// Replays the committed afl corpus of the peer-message target (<c>specs/Coord.Fuzz/corpus/peer</c>: seeds of every
/// message kind, afl-fuzz's minimized queue and every crash found, fixed) through <see cref="PeerTarget"/>, the code
/// afl-fuzz runs: each input decodes or is a SerializationException, within the allocation bound, and what decodes
/// re-encodes to an equal message. Fast and deterministic; afl itself is not needed (specs/Coord.Fuzz/README.md).
/// </summary>
public sealed class PeerCorpusSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_corpus_input_decodes_or_is_refused_cleanly_and_round_trips()
    {
        var files = FuzzCorpusFiles.Files(FuzzCorpusFiles.Peer);
        Assert.True(files.Count >= 50, $"the peer corpus has {files.Count} inputs; regenerate it (specs/Coord.Fuzz/README.md)");
        var outcomes = new List<PeerOutcome>();
        var findings = new List<string>();
        // A decoder that loops forever must fail the spec, not hang CI.
        await Task.Run(() =>
        {
            foreach (var file in files)
            {
                try { outcomes.Add(PeerTarget.Run(File.ReadAllBytes(file))); }
                catch (Exception e) { findings.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(findings.Count == 0, string.Join("\n", findings));

        var decoded = outcomes.Where(o => o.End == PeerEnd.Decoded).GroupBy(o => o.Manifest).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{files.Count} inputs: {outcomes.Count(o => o.End == PeerEnd.Decoded)} decoded " +
                         $"({string.Join(", ", decoded.OrderBy(d => d.Key).Select(d => $"{d.Key} {d.Value}"))}), " +
                         $"{outcomes.Count(o => o.End == PeerEnd.Refused)} refused");
        var missing = PeerCodec.Manifests.Append(PeerCodec.BatchManifest).Where(m => !decoded.ContainsKey(m)).ToList();
        Assert.True(missing.Count == 0,
            $"no corpus input decodes as '{string.Join("', '", missing)}': add a sample to specs/Coord.Fuzz/Seeds/PeerSeeds.cs and " +
            "write the seeds (coord-fuzz seed peer specs/Coord.Fuzz/corpus/peer)");
        Assert.Contains(outcomes, o => o.End == PeerEnd.Refused);
    }

    [Fact]
    public void Every_seed_message_round_trips_through_the_target()
    {
        var seeds = PeerSeeds.All().ToList();
        Assert.All(seeds, s => Assert.Equal(PeerEnd.Decoded, PeerTarget.Run(s.Input).End));
        Assert.Equal(PeerCodec.Manifests.Append(PeerCodec.BatchManifest).Order(), seeds.Select(s => PeerTarget.Run(s.Input).Manifest).Distinct().Order());
    }

    [Fact]
    public void The_target_reads_the_manifest_then_the_message()
    {
        Assert.Equal(PeerEnd.NoManifest, PeerTarget.Run([]).End);
        Assert.Equal(PeerEnd.NoManifest, PeerTarget.Run([5, (byte)'p']).End);
        Assert.Equal(PeerEnd.NoManifest, PeerTarget.Run([PeerTarget.ManifestBytesMax + 1, .. new byte[40]]).End);
        Assert.Equal(PeerEnd.Refused, PeerTarget.Run(PeerTarget.Input("zz", new byte[24])).End);
        Assert.Equal(new PeerOutcome("pi", PeerEnd.Decoded, "Ping"), PeerTarget.Run(PeerTarget.Input("pi", new byte[24])));
        // A proposal claiming int.MaxValue txns in 28 bytes is refused before anything is allocated for them.
        var proposal = new byte[28];
        BinaryPrimitives.WriteInt32BigEndian(proposal.AsSpan(24), int.MaxValue);
        Assert.Equal(PeerEnd.Refused, PeerTarget.Run(PeerTarget.Input("pr", proposal)).End);
    }
}
