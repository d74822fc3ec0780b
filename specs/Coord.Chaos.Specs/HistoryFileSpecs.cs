using Coord.Chaos.Checking;
using Coord.Chaos.History;
using Coord.Protocol;

namespace Coord.Chaos.Specs;

/// <summary>The JSON-lines format: a history survives a round trip with its verdict; bad lines are named.</summary>
public sealed class HistoryFileSpecs
{
    [Fact]
    public void A_history_round_trips_through_json_lines_with_its_verdict()
    {
        var h = new HistoryBuilder().Node("/k", "x");
        h.Get(1, 1, 2, "/k", "x", 0, watch: true);
        h.Set(2, 3, null, "/k", "y");
        h.Multi(2, 4, 5, [new SubOp { Kind = OpKind.Check, Path = "/k", Version = 7 }], error: ErrorCode.BadVersion, failedIndex: 0);
        h.Create(3, 6, 7, "/q-", sequential: true, created: "/q-0000000000");
        h.Event(1, 8, "/k", EventType.NodeDataChanged, zxid: 12);
        var history = h.Build();

        var writer = new StringWriter();
        HistoryJson.Write(writer, history);
        var back = HistoryJson.Read(new StringReader(writer.ToString()));

        Assert.Equal(writer.ToString(), Rewrite(back));
        Assert.Contains("\"kind\":\"setData\"", writer.ToString());
        Assert.Contains("\"error\":\"badVersion\"", writer.ToString());
        Assert.Equal(Checker.Check(history).Kind, Checker.Check(back).Kind);
    }

    [Theory]
    [InlineData("{\"type\":\"op\",\"id\":1,\"session\":1,\"invoke\":1,\"complete\":2,\"kind\":\"getData\",\"path\":\"/k\",\"outcome\":\"ok\",\"sesion\":3}", "sesion")]
    [InlineData("{\"type\":\"op\",\"id\":1,\"session\":1,\"invoke\":5,\"complete\":2,\"kind\":\"getData\",\"path\":\"/k\",\"outcome\":\"ok\"}", "before invoke")]
    [InlineData("{\"type\":\"op\",\"id\":1,\"session\":1,\"invoke\":1,\"complete\":2,\"kind\":\"setData\",\"path\":\"k\",\"outcome\":\"ok\"}", "does not start with '/'")]
    [InlineData("{\"type\":\"op\",\"id\":1,\"session\":1,\"invoke\":1,\"complete\":2,\"kind\":\"multi\",\"outcome\":\"error\",\"error\":\"noNode\",\"ops\":[{\"kind\":\"delete\",\"path\":\"/a\"}]}", "failedIndex")]
    [InlineData("{\"type\":\"nope\"}", ":2:")]
    [InlineData("not json", ":2:")]
    public void A_bad_line_is_named(string line, string expected)
    {
        var text = "{\"type\":\"init\",\"path\":\"/k\"}\n" + line + "\n";
        var e = Assert.Throws<HistoryFormatException>(() => HistoryJson.Read(new StringReader(text), "h.jsonl"));
        Assert.Contains(expected, e.Message);
        Assert.StartsWith("h.jsonl:2:", e.Message);
    }

    private static string Rewrite(OpHistory h)
    {
        var w = new StringWriter();
        HistoryJson.Write(w, h);
        return w.ToString();
    }
}
