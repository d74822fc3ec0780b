using System.Text;
using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Snapshots;

public sealed class Crc32CSpecs
{
    [Fact]
    public void Known_answer_for_the_check_string() =>
        Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Empty_input_is_zero() => Assert.Equal(0u, Crc32C.Compute([]));

    [Fact]
    public void Appending_in_pieces_equals_one_pass()
    {
        var bytes = Encoding.UTF8.GetBytes("the quick brown fox jumps over the lazy dog, twice over");
        for (int cut = 0; cut <= bytes.Length; cut++)
            Assert.Equal(Crc32C.Compute(bytes), Crc32C.Append(Crc32C.Compute(bytes.AsSpan(0, cut)), bytes.AsSpan(cut)));
    }

    [Fact]
    public void The_instruction_path_equals_the_tables_at_every_length_and_alignment()
    {
        var rng = new Random(5);
        var bytes = new byte[300];
        rng.NextBytes(bytes);
        for (int start = 0; start < 9; start++)
            for (int len = 0; start + len <= bytes.Length; len += 1 + len / 8)
            {
                var span = bytes.AsSpan(start, len);
                Assert.Equal(Crc32C.AppendPortable(0x1234_5678, span), Crc32C.Append(0x1234_5678, span));
                Assert.Equal(Crc32C.AppendPortable(0, span), Crc32C.Compute(span));
            }
    }
}
