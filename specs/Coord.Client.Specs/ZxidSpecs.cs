using Coord.Protocol;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Client.Specs;

/// <summary>Zxid = (epoch &lt;&lt; 32) | counter; ordering is by the 64-bit value; printed as lower-case hex.</summary>
public sealed class ZxidSpecs
{
    [Fact]
    public void of_packs_epoch_high_and_counter_low()
    {
        Assert.Equal(0x0000000100000002L, Zxid.Of(1, 2).Value);
        Assert.Equal(0x00000005FFFFFFFFL, Zxid.Of(5, -1).Value); // the counter is the low 32 bits, not sign-extended
        Assert.Equal(0L, Zxid.Of(0, 0).Value);
        Assert.Equal(Zxid.Zero, Zxid.Of(0, 0));
    }

    [Fact]
    public void epoch_and_counter_unpack()
    {
        var z = new Zxid(0x0000000700000009);
        Assert.Equal(7, z.Epoch);
        Assert.Equal(9, z.Counter);
    }

    [Fact]
    public void epoch_and_counter_invert_of_for_every_pair() =>
        Prop.ForAll<int, int>((epoch, counter) =>
        {
            var z = Zxid.Of(epoch, counter);
            return z.Epoch == epoch && z.Counter == counter;
        }).Check(RoundTripProperties.Runs);

    [Fact]
    public void a_later_epoch_orders_after_any_counter_of_an_earlier_one()
    {
        Assert.True(Zxid.Of(1, int.MaxValue) < Zxid.Of(2, 0));
        Assert.True(Zxid.Of(2, 0) > Zxid.Of(1, int.MaxValue));
        Assert.True(Zxid.Of(1, 1) < Zxid.Of(1, 2));
        Assert.True(Zxid.Of(1, 2) <= Zxid.Of(1, 2));
        Assert.True(Zxid.Of(1, 2) >= Zxid.Of(1, 2));
        Assert.Equal(0, Zxid.Of(3, 4).CompareTo(Zxid.Of(3, 4)));
        Assert.True(Zxid.Of(3, 4).CompareTo(Zxid.Of(3, 5)) < 0);
    }

    [Fact]
    public void ordering_is_lexicographic_on_epoch_then_counter() =>
        Prop.ForAll(Gen.Choose(0, int.MaxValue).Four().ToArbitrary(), t =>
        {
            var (e1, c1, e2, c2) = t;
            int expected = e1 != e2 ? e1.CompareTo(e2) : c1.CompareTo(c2);
            return Math.Sign(Zxid.Of(e1, c1).CompareTo(Zxid.Of(e2, c2))) == Math.Sign(expected)
                && (Zxid.Of(e1, c1) < Zxid.Of(e2, c2)) == (expected < 0);
        }).Check(RoundTripProperties.Runs);

    [Fact]
    public void next_increments_the_counter() => Assert.Equal(Zxid.Of(4, 10), Zxid.Of(4, 9).Next());

    [Theory]
    [InlineData(0, 0, "0x0")]
    [InlineData(1, 2, "0x100000002")]
    [InlineData(0, 255, "0xff")]
    [InlineData(0x1A, 0x2B, "0x1a0000002b")]
    public void to_string_is_lower_case_hex_with_0x(int epoch, int counter, string text) =>
        Assert.Equal(text, Zxid.Of(epoch, counter).ToString());
}
