using Coord.Protocol;
using Coord.Protocol.Records;
using FsCheck;
using FsCheck.Fluent;

namespace Coord.Client.Specs;

/// <summary>Random valid records survive Write→Read unchanged, field by field, with every byte consumed.</summary>
public sealed class RoundTripProperties
{
    internal static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(300);

    private static void RoundTrips<T>(Gen<T> gen) where T : IJuteRecord<T> =>
        Prop.ForAll(gen.ToArbitrary(), value =>
        {
            var back = Wire.Read<T>(Wire.Bytes(value));
            Wire.AssertSame(value, back);
        }).Check(Runs);

    [Fact] public void create_requests_round_trip() => RoundTrips(Generators.Creates);
    [Fact] public void create_ttl_requests_round_trip() => RoundTrips(Generators.CreateTtls);
    [Fact] public void set_data_requests_round_trip() => RoundTrips(Generators.SetDatas);
    [Fact] public void set_acl_requests_round_trip() => RoundTrips(Generators.SetAcls);
    [Fact] public void stats_round_trip() => RoundTrips(Generators.Stats);
    [Fact] public void multi_requests_round_trip() => RoundTrips(Generators.Multis);
    [Fact] public void multi_responses_round_trip() => RoundTrips(Generators.MultiResponses);

    [Fact]
    public void set_watches_round_trip() =>
        Prop.ForAll(Generators.SetWatches.ToArbitrary(), value =>
        {
            var w = new JuteWriter();
            value.Write(w);
            var r = new JuteReader(w.WrittenSpan);
            var back = SetWatchesRequest.Read(ref r, value.IsVersion2);
            Assert.True(r.AtEnd);
            Wire.AssertSame(value, back);
        }).Check(Runs);

    [Fact]
    public void every_stat_is_68_bytes() =>
        Prop.ForAll(Generators.Stats.ToArbitrary(), s => Wire.Bytes(s).Length == Stat.WireBytes).Check(Runs);

    /// <summary>Sanity check on the comparer the properties rely on: it must see null vs empty and list contents.</summary>
    [Fact]
    public void the_structural_comparer_distinguishes_what_the_wire_distinguishes()
    {
        Assert.NotNull(Structural.FirstDifference(new SetDataRequest("/a", null, 1), new SetDataRequest("/a", [], 1), "v"));
        Assert.NotNull(Structural.FirstDifference(new GetChildrenResponse(["a"]), new GetChildrenResponse(["b"]), "v"));
        Assert.NotNull(Structural.FirstDifference(GoldenStat.Value, GoldenStat.Value with { Pzxid = 0 }, "v"));
        Assert.Null(Structural.FirstDifference(new GetChildrenResponse(["a"]), new GetChildrenResponse(new List<string> { "a" }), "v"));
    }
}
