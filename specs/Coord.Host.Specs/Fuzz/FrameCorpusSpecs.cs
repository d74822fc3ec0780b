using System.Buffers.Binary;
using Coord.Fuzz;
using Coord.Protocol;
using Coord.Protocol.Records;
using Xunit.Abstractions;

namespace Coord.Host.Specs.Fuzz;

/// <summary>
/// Replays the committed afl corpus of the client frame target (<c>specs/Coord.Fuzz/corpus/frame</c>: seeds, afl-fuzz's
/// minimized queue and every crash found, fixed) through <see cref="FrameTarget"/>, the same code afl-fuzz runs: each
/// connection's frames decode or are refused with JuteException, within the allocation bound, and re-encode to an
/// equal value. Fast and deterministic; afl itself is not needed (specs/Coord.Fuzz/README.md runs it).
/// </summary>
public sealed class FrameCorpusSpecs(ITestOutputHelper output)
{
    [Fact]
    public async Task Every_corpus_input_decodes_or_is_refused_cleanly_and_round_trips()
    {
        var files = FuzzCorpusFiles.Files(FuzzCorpusFiles.Frame);
        Assert.True(files.Count >= 50, $"the frame corpus has {files.Count} inputs; regenerate it (specs/Coord.Fuzz/README.md)");
        var outcomes = new List<FrameOutcome>();
        var findings = new List<string>();
        // A decoder that loops forever must fail the spec, not hang CI.
        await Task.Run(() =>
        {
            foreach (var file in files)
            {
                try { outcomes.Add(FrameTarget.Run(File.ReadAllBytes(file))); }
                catch (Exception e) { findings.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(findings.Count == 0, string.Join("\n", findings));

        var ends = outcomes.GroupBy(o => o.End).ToDictionary(g => g.Key, g => g.Count());
        output.WriteLine($"{files.Count} inputs, {outcomes.Sum(o => o.Frames)} frames decoded; " +
                         string.Join(", ", ends.OrderBy(e => e.Key).Select(e => $"{e.Key} {e.Value}")));
        // The corpus reaches every way a connection ends, and a decoded request of every opcode the decoder knows.
        Assert.All(Enum.GetValues<FrameEnd>(), end => Assert.True(ends.ContainsKey(end), $"no corpus input ends with {end}"));
        var ops = outcomes.Where(o => o.LastOp is not null).Select(o => o.LastOp!.Value).ToHashSet();
        var missing = FrameSeeds.SampleRequests().Select(s => s.Op).Where(op => Enum.IsDefined(op) && !ops.Contains(op)).ToList();
        Assert.True(missing.Count == 0, $"no corpus input decodes a request of {string.Join(", ", missing)}");
    }

    [Fact]
    public async Task Every_request_the_corpus_decodes_is_prepared_applied_or_read_by_the_core_without_an_exception()
    {
        var findings = new List<string>();
        int frames = 0;
        await Task.Run(() =>
        {
            foreach (var file in FuzzCorpusFiles.Files(FuzzCorpusFiles.Frame))
            {
                try { frames += FrameCoreTarget.Run(File.ReadAllBytes(file)).Frames; }
                catch (Exception e) { findings.Add($"{Path.GetFileName(file)}: {e.GetType().Name}: {e.Message}"); }
            }
        }).WaitAsync(TimeSpan.FromMinutes(2));
        Assert.True(findings.Count == 0, string.Join("\n", findings));
        Assert.True(frames > 200, $"only {frames} frames reached the core");
    }

    [Fact]
    public void The_target_ends_a_connection_the_way_the_server_does()
    {
        byte[] connect = Frame(w => new ConnectRequest(0, 0, 30_000, 0, new byte[16], false).Write(w));
        byte[] getData = Frame(w => { new RequestHeader(1, OpCode.GetData).Write(w); new PathWatchRequest("/a", true).Write(w); });

        Assert.Equal(new FrameOutcome(0, FrameEnd.FourLetterWord), FrameTarget.Run("ruok"u8));
        Assert.Equal(new FrameOutcome(2, FrameEnd.EndOfInput, OpCode.GetData), FrameTarget.Run([.. connect, .. getData]));
        // A partial frame waits for more bytes; a length outside 0..frame-bytes-max closes the connection.
        Assert.Equal(new FrameOutcome(1, FrameEnd.EndOfInput), FrameTarget.Run([.. connect, .. getData[..^1]]));
        Assert.Equal(new FrameOutcome(1, FrameEnd.FrameLengthRefused), FrameTarget.Run([.. connect, 0x00, 0x10, 0x00, 0x00]));
        Assert.Equal(new FrameOutcome(0, FrameEnd.FrameLengthRefused), FrameTarget.Run([0xFF, 0xFF, 0xFF, 0xFF]));
        // A path that is not UTF-8, and a string length past the frame: refused by the decoder (JuteException).
        var badPath = (byte[])getData.Clone();
        badPath[16] = 0xFF;
        Assert.Equal(new FrameOutcome(1, FrameEnd.Malformed), FrameTarget.Run([.. connect, .. badPath]));
        var longPath = (byte[])getData.Clone();
        BinaryPrimitives.WriteInt32BigEndian(longPath.AsSpan(12), int.MaxValue);
        Assert.Equal(new FrameOutcome(1, FrameEnd.Malformed), FrameTarget.Run([.. connect, .. longPath]));
    }

    [Fact]
    public void The_allocation_bound_fails_a_decode_that_allocates_past_its_input()
    {
        FuzzBounds.CheckAllocation(64L * 100 + 16 * 1024, 100, "at the bound");
        var e = Assert.Throws<FuzzFinding>(() => FuzzBounds.CheckAllocation(64L * 100 + 16 * 1024 + 1, 100, "past the bound"));
        Assert.Contains("past the bound", e.Message);
        // What an unchecked length of int.MaxValue would ask for, against a 20-byte frame.
        Assert.Throws<FuzzFinding>(() => FuzzBounds.CheckAllocation(int.MaxValue, 20, "huge"));
    }

    [Fact]
    public void Structural_comparison_sees_a_changed_field_inside_lists_and_arrays()
    {
        var a = new SetAclRequest("/a", [new Acl(Perms.All, new Id("digest", "u:h"))], 1);
        Assert.Null(Structural.Difference(a, new SetAclRequest("/a", [new Acl(Perms.All, new Id("digest", "u:h"))], 1)));
        Assert.Contains("Ident", Structural.Difference(a, new SetAclRequest("/a", [new Acl(Perms.All, new Id("digest", "u:x"))], 1)));
        Assert.Contains("items", Structural.Difference(a, new SetAclRequest("/a", [], 1)));
        Assert.NotNull(Structural.Difference(new SetDataRequest("/a", [1], 0), new SetDataRequest("/a", [2], 0)));
        Assert.NotNull(Structural.Difference(new SetDataRequest("/a", null, 0), new SetDataRequest("/a", [], 0)));
    }

    private static byte[] Frame(Action<JuteWriter> body)
    {
        var w = new JuteWriter();
        int frame = w.BeginFrame();
        body(w);
        w.EndFrame(frame);
        return w.ToArray();
    }
}
