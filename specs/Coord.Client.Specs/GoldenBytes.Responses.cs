using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Specs;

/// <summary>Every response record of §7.3, hex written by hand from the jute layout.</summary>
public sealed class GoldenBytesResponses
{
    private static readonly Stat S = GoldenStat.Value;
    private const string StatHex = GoldenStat.Hex;

    [Fact]
    public void create_response_carries_the_sequential_name() =>
        Wire.Golden(new CreateResponse("/a0000000001"), "0000000C 2F61 30303030303030303031");

    [Fact] public void create2_response() => Wire.Golden(new Create2Response("/a", S), $"00000002 2F61 | {StatHex}");

    /// <summary>exists, setData and setACL replies are a bare Stat.</summary>
    [Fact] public void stat_response() => Wire.Golden(new StatResponse(S), StatHex);

    [Fact] public void get_data_response() => Wire.Golden(new GetDataResponse(Wire.Utf8("hi"), S), $"00000002 6869 | {StatHex}");

    [Fact]
    public void get_data_response_null_versus_empty_data()
    {
        Wire.Golden(new GetDataResponse(null, S), $"FFFFFFFF | {StatHex}");
        Wire.Golden(new GetDataResponse([], S), $"00000000 | {StatHex}");
    }

    [Fact]
    public void get_acl_response() =>
        Wire.Golden(new GetAclResponse(Acl.ReadAclUnsafe, S),
            $"00000001 | 00000001 00000005 776F726C64 00000006 616E796F6E65 | {StatHex}");

    [Fact]
    public void get_acl_response_with_a_masked_digest_id() =>
        Wire.Golden(new GetAclResponse([new Acl(Perms.All, new Id("digest", "bob:x"))], S),
            $"00000001 | 0000001F 00000006 646967657374 00000005 626F623A78 | {StatHex}");

    [Fact]
    public void get_children_response() =>
        Wire.Golden(new GetChildrenResponse(["zookeeper", "a"]), "00000002 | 00000009 7A6F6F6B6565706572 | 00000001 61");

    [Fact] public void get_children_response_empty() => Wire.Golden(new GetChildrenResponse([]), "00000000");

    [Fact]
    public void get_children_response_null_vector_reads_as_empty() =>
        Assert.Empty(Wire.Read<GetChildrenResponse>(Wire.Hex("FFFFFFFF")).Children);

    [Fact]
    public void get_children2_response() => Wire.Golden(new GetChildren2Response(["a"], S), $"00000001 | 00000001 61 | {StatHex}");

    [Fact] public void sync_response_echoes_the_path() => Wire.Golden(new PathResponse("/a"), "00000002 2F61");

    [Theory]
    [InlineData(ErrorCode.Ok, "00000000")]
    [InlineData(ErrorCode.NoNode, "FFFFFF9B")]
    [InlineData(ErrorCode.RuntimeInconsistency, "FFFFFFFE")]
    [InlineData(ErrorCode.NoWatcher, "FFFFFF87")]
    public void error_response(ErrorCode err, string hex) => Wire.Golden(new ErrorResponse(err), hex);

    [Fact]
    public void get_ephemerals_response() => Wire.Golden(new GetEphemeralsResponse(["/e1"]), "00000001 | 00000003 2F6531");

    [Fact]
    public void get_all_children_number_response() => Wire.Golden(new GetAllChildrenNumberResponse(42), "0000002A");

    [Fact]
    public void who_am_i_response() =>
        Wire.Golden(new WhoAmIResponse([new ClientInfo("digest", "bob"), new ClientInfo("ip", "127.0.0.1")]),
            "00000002 | 00000006 646967657374 00000003 626F62 | 00000002 6970 00000009 3132372E302E302E31");

    [Fact] public void set_sasl_response() => Wire.Golden(new SaslToken(Wire.Hex("CAFE01")), "00000003 CAFE01");
}
