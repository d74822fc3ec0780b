using Coord.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Client.Specs;

/// <summary>
/// For arbitrary bytes the readers either succeed or throw <see cref="JuteException"/> — nothing else. Pure
/// random bytes mostly die at the first length, so the inputs also include valid encodings with bytes
/// overwritten by boundary values (-1, 0, lengths near the end, int.MaxValue) and cut short.
/// </summary>
public sealed class ReaderFuzzProperties
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(2000);

    private static readonly Gen<byte[]> RandomBytes = ArbMap.Default.GeneratorFor<byte[]>();

    private static readonly byte[][] Seeds =
    [
        Wire.Hex("00000000 | 0000000000000000 | 00007530 | 0000000000000000 | 00000010 00×16 | 00"),
        Wire.Hex("00000002 2F61 | 00000002 6869 | 00000001 0000001F 00000005 776F726C64 00000006 616E796F6E65 | 00000000"),
        Wire.Hex("00000001 00 FFFFFFFF | 00000002 2F61 FFFFFFFF 00000000 00000000 | 00000015 00 FFFFFFFF | " +
                 "00000002 2F64 FFFFFFFF 00000000 00000005 000000000000EA60 | 00000005 00 FFFFFFFF | 00000002 2F66 00000000 FFFFFFFF | " +
                 "0000000D 00 FFFFFFFF | 00000002 2F67 00000002 | 00000004 00 FFFFFFFF | 00000002 2F61 00 | FFFFFFFF 01 FFFFFFFF"),
        Wire.Hex("0000000100000005 | 00000001 00000002 2F61 | 00000000 | 00000002 00000002 2F62 00000002 2F63 | 00000001 00000002 2F70 | 00000000"),
    ];

    private static readonly Gen<byte[]> Boundary = Gen.Elements(
        Wire.Hex("FFFFFFFF"), Wire.Hex("00000000"), Wire.Hex("7FFFFFFF"), Wire.Hex("80000000"), Wire.Hex("FFFFFFFE"),
        Wire.Hex("00000010"), Wire.Hex("00000040"), Wire.Hex("01"), Wire.Hex("FF"), Wire.Hex("C3"), Wire.Hex("0000000E"));

    private static readonly Gen<byte[]> Mutated =
        from seed in Gen.Elements(Seeds)
        from edits in Gen.ArrayOf(
            from at in Gen.Choose(0, seed.Length - 1)
            from patch in Boundary
            select (at, patch))
        from keep in Gen.Choose(0, seed.Length + 8)
        select Mutate(seed, edits, keep);

    private static readonly Gen<byte[]> Inputs = Gen.Frequency((1, RandomBytes), (3, Mutated));

    private static byte[] Mutate(byte[] seed, (int At, byte[] Patch)[] edits, int keep)
    {
        var bytes = (byte[])seed.Clone();
        foreach (var (at, patch) in edits)
            for (int i = 0; i < patch.Length && at + i < bytes.Length; i++) bytes[at + i] = patch[i];
        return bytes[..Math.Min(keep, bytes.Length)];
    }

    private static void OnlyJuteExceptions(ReaderRobustnessSpecs.ReadFn read) =>
        Prop.ForAll(Inputs.ToArbitrary(), bytes =>
        {
            var ex = Record.Exception(() => read(bytes));
            Assert.True(ex is null or JuteException, $"{Convert.ToHexString(bytes)} threw {ex}");
        }).Check(Runs);

    [Fact] public void multi_request_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadMulti);
    [Fact] public void connect_request_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadConnect);
    [Fact] public void create_request_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadCreate);
    [Fact] public void set_watches_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadSetWatches1);
    [Fact] public void set_watches2_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadSetWatches2);
    [Fact] public void multi_response_reader_throws_only_jute_exceptions() => OnlyJuteExceptions(ReaderRobustnessSpecs.ReadMultiResponse);
}
