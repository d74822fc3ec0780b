using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Specs;

/// <summary>multi (14) and multiRead (22) requests and responses, §7.7.</summary>
public sealed class GoldenBytesMulti
{
    private static readonly Stat S = GoldenStat.Value;
    private const string StatHex = GoldenStat.Hex;
    private const string OpenAclHex = "00000001 0000001F 00000005 776F726C64 00000006 616E796F6E65";
    private const string End = "FFFFFFFF 01 FFFFFFFF";

    [Fact]
    public void multi_request_with_every_write_op_kind() =>
        Wire.Golden(new MultiRequest(
            [
                new(OpCode.Create, new CreateRequest("/a", null, [], 0)),
                new(OpCode.Create2, new CreateRequest("/b", Wire.Utf8("x"), Acl.OpenAclUnsafe, 1)),
                new(OpCode.CreateContainer, new CreateRequest("/c", null, [], 4)),
                new(OpCode.CreateTtl, new CreateTtlRequest("/d", null, [], 5, 60000)),
                new(OpCode.Delete, new DeleteRequest("/e", 1)),
                new(OpCode.SetData, new SetDataRequest("/f", [], -1)),
                new(OpCode.Check, new CheckVersionRequest("/g", 2)),
            ]),
            $"""
            00000001 00 FFFFFFFF | 00000002 2F61 FFFFFFFF 00000000 00000000
            0000000F 00 FFFFFFFF | 00000002 2F62 00000001 78 {OpenAclHex} 00000001
            00000013 00 FFFFFFFF | 00000002 2F63 FFFFFFFF 00000000 00000004
            00000015 00 FFFFFFFF | 00000002 2F64 FFFFFFFF 00000000 00000005 000000000000EA60
            00000002 00 FFFFFFFF | 00000002 2F65 00000001
            00000005 00 FFFFFFFF | 00000002 2F66 00000000 FFFFFFFF
            0000000D 00 FFFFFFFF | 00000002 2F67 00000002
            {End}
            """);

    [Fact]
    public void multi_read_request_with_both_read_op_kinds() =>
        Wire.Golden(new MultiRequest(
            [
                new(OpCode.GetData, new PathWatchRequest("/a", false)),
                new(OpCode.GetChildren, new PathWatchRequest("/b", false)),
            ]),
            $"00000004 00 FFFFFFFF | 00000002 2F61 00 | 00000008 00 FFFFFFFF | 00000002 2F62 00 | {End}");

    [Fact] public void empty_multi_request_is_only_the_terminator() => Wire.Golden(new MultiRequest([]), End);

    /// <summary>Java's MultiOperationRecord rejects any other op type ("Invalid type of op").</summary>
    [Theory]
    [InlineData("00000003 00 FFFFFFFF | 00000002 2F61 00")] // exists
    [InlineData("00000014 00 FFFFFFFF | 00000002 2F61 00000000 | FFFFFFFF 01 FFFFFFFF")] // deleteContainer, even with a delete-shaped body
    [InlineData("0000000E 00 FFFFFFFF | FFFFFFFF 01 FFFFFFFF")] // nested multi
    public void multi_request_with_an_op_type_zookeeper_does_not_accept_throws(string hex)
    {
        var bytes = Wire.Hex(hex);
        Assert.Throws<JuteException>(() =>
        {
            var r = new JuteReader(bytes);
            MultiRequest.Read(ref r);
        });
    }

    [Fact]
    public void multi_response_with_every_write_result_kind() =>
        Wire.Golden(new MultiResponse(
            [
                new(OpCode.Create, ErrorCode.Ok, new CreateResponse("/a")),
                new(OpCode.Create2, ErrorCode.Ok, new Create2Response("/b", S)),
                new(OpCode.Delete, ErrorCode.Ok, null),
                new(OpCode.SetData, ErrorCode.Ok, new StatResponse(S)),
                new(OpCode.Check, ErrorCode.Ok, null),
            ]),
            $"""
            00000001 00 00000000 | 00000002 2F61
            0000000F 00 00000000 | 00000002 2F62 {StatHex}
            00000002 00 00000000
            00000005 00 00000000 | {StatHex}
            0000000D 00 00000000
            {End}
            """);

    [Fact]
    public void multi_read_response_with_data_children_and_an_error_entry() =>
        Wire.Golden(new MultiResponse(
            [
                new(OpCode.GetData, ErrorCode.Ok, new GetDataResponse(Wire.Utf8("x"), S)),
                new(OpCode.GetChildren, ErrorCode.Ok, new GetChildrenResponse(["c"])),
                MultiResult.Error(ErrorCode.NoNode),
            ]),
            $"""
            00000004 00 00000000 | 00000001 78 {StatHex}
            00000008 00 00000000 | 00000001 00000001 63
            FFFFFFFF 00 FFFFFF9B | FFFFFF9B
            {End}
            """);

    /// <summary>
    /// A failed multi: every entry is an error; ops before the culprit say 0 (rolled back), the culprit its
    /// code, later ops -2. The header's err repeats the body's code.
    /// </summary>
    [Fact]
    public void failed_multi_response_is_all_error_entries() =>
        Wire.Golden(new MultiResponse(
            [
                MultiResult.Error(ErrorCode.Ok),
                MultiResult.Error(ErrorCode.NodeExists),
                MultiResult.Error(ErrorCode.RuntimeInconsistency),
            ]),
            $"""
            FFFFFFFF 00 00000000 | 00000000
            FFFFFFFF 00 FFFFFF92 | FFFFFF92
            FFFFFFFF 00 FFFFFFFE | FFFFFFFE
            {End}
            """);

    [Fact] public void empty_multi_response_is_only_the_terminator() => Wire.Golden(new MultiResponse([]), End);

    /// <summary>createContainer and createTTL results travel as create2 (Java's Create2Result); they read back as create2.</summary>
    [Theory]
    [InlineData(OpCode.CreateContainer)]
    [InlineData(OpCode.CreateTtl)]
    public void create_container_and_create_ttl_results_are_written_as_create2(OpCode type)
    {
        var written = new MultiResponse([new MultiResult(type, ErrorCode.Ok, new Create2Response("/c", S))]);
        string hex = $"0000000F 00 00000000 | 00000002 2F63 {StatHex} | {End}";
        Assert.Equal(Wire.Canonical(hex), Wire.HexOf(written));
        Wire.AssertSame(new MultiResponse([new MultiResult(OpCode.Create2, ErrorCode.Ok, new Create2Response("/c", S))]),
            Wire.Read<MultiResponse>(Wire.Hex(hex)));
    }
}
