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
}
