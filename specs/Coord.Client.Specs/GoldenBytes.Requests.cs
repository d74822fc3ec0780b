using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Specs;

/// <summary>Every request record of §7.2, hex written by hand from the jute layout.</summary>
public sealed class GoldenBytesRequests
{
    // ACL [ALL, world:anyone] = count 1 | perms 31 | "world" | "anyone"
    private const string OpenAclHex = "00000001 | 0000001F 00000005 776F726C64 00000006 616E796F6E65";

    [Fact]
    public void create_request() =>
        Wire.Golden(new CreateRequest("/a", Wire.Utf8("hi"), Acl.OpenAclUnsafe, (int)CreateMode.Persistent),
            $"00000002 2F61 | 00000002 6869 | {OpenAclHex} | 00000000");

    [Fact]
    public void create_request_null_versus_empty_data()
    {
        Wire.Golden(new CreateRequest("/a", null, Acl.OpenAclUnsafe, (int)CreateMode.Ephemeral),
            $"00000002 2F61 | FFFFFFFF | {OpenAclHex} | 00000001");
        Wire.Golden(new CreateRequest("/a", [], Acl.OpenAclUnsafe, (int)CreateMode.EphemeralSequential),
            $"00000002 2F61 | 00000000 | {OpenAclHex} | 00000003");
    }

    [Fact]
    public void create_request_with_empty_acl_vector() =>
        Wire.Golden(new CreateRequest("/a", null, [], (int)CreateMode.Container), "00000002 2F61 | FFFFFFFF | 00000000 | 00000004");

    /// <summary>The reader turns a null ACL vector (-1) into an empty list; the server then answers INVALIDACL.</summary>
    [Fact]
    public void create_request_null_acl_vector_reads_as_empty()
    {
        var read = Wire.Read<CreateRequest>(Wire.Hex("00000002 2F61 | FFFFFFFF | FFFFFFFF | 00000000"));
        Assert.Empty(read.Acl);
        Assert.Null(read.Data);
    }

    [Fact]
    public void create_request_path_length_counts_utf8_bytes_not_chars() =>
        Wire.Golden(new CreateRequest("/é€", null, [], 0), "00000006 2FC3A9E282AC | FFFFFFFF | 00000000 | 00000000");

    [Fact]
    public void create_ttl_request() =>
        Wire.Golden(new CreateTtlRequest("/t", null, [new Acl(Perms.Read, new Id("digest", "u:h"))], (int)CreateMode.PersistentWithTtl, 1000),
            "00000002 2F74 | FFFFFFFF | 00000001 00000001 00000006 646967657374 00000003 753A68 | 00000005 | 00000000000003E8");

    [Fact] public void delete_request_any_version() => Wire.Golden(new DeleteRequest("/a", -1), "00000002 2F61 | FFFFFFFF");
    [Fact] public void delete_request_exact_version() => Wire.Golden(new DeleteRequest("/a", 258), "00000002 2F61 | 00000102");

    [Theory]
    [InlineData(true, "00000002 2F61 | 01")]
    [InlineData(false, "00000002 2F61 | 00")]
    public void exists_get_data_and_get_children_requests(bool watch, string hex) => Wire.Golden(new PathWatchRequest("/a", watch), hex);

    [Fact]
    public void boolean_reader_accepts_any_non_zero_byte_as_true() =>
        Assert.True(Wire.Read<PathWatchRequest>(Wire.Hex("00000002 2F61 | 7F")).Watch);

    [Fact]
    public void set_data_request() => Wire.Golden(new SetDataRequest("/a", Wire.Utf8("hi"), 3), "00000002 2F61 | 00000002 6869 | 00000003");

    [Fact]
    public void set_data_request_null_versus_empty_data()
    {
        Wire.Golden(new SetDataRequest("/a", null, -1), "00000002 2F61 | FFFFFFFF | FFFFFFFF");
        Wire.Golden(new SetDataRequest("/a", [], -1), "00000002 2F61 | 00000000 | FFFFFFFF");
    }

    /// <summary>getACL, sync, getEphemerals, getAllChildrenNumber and deleteContainer share { ustring path }.</summary>
    [Fact] public void path_request() => Wire.Golden(new PathRequest("/zookeeper"), "0000000A 2F7A6F6F6B6565706572");

    [Fact] public void path_request_with_empty_path() => Wire.Golden(new PathRequest(""), "00000000");

    [Fact]
    public void path_request_null_path_reads_as_empty() => Assert.Equal("", Wire.Read<PathRequest>(Wire.Hex("FFFFFFFF")).Path);

    [Fact]
    public void set_acl_request() =>
        Wire.Golden(new SetAclRequest("/a", [new Acl(Perms.All, Id.Anyone), new Acl(Perms.Read | Perms.Write, new Id("ip", "10.0.0.0/8"))], 2),
            "00000002 2F61 | 00000002 | 0000001F 00000005 776F726C64 00000006 616E796F6E65 | " +
            "00000003 00000002 6970 0000000A 31302E302E302E302F38 | 00000002");

    [Fact] public void check_version_request() => Wire.Golden(new CheckVersionRequest("/a", 0), "00000002 2F61 | 00000000");

    [Theory]
    [InlineData(WatcherType.Children, "00000002 2F61 | 00000001")]
    [InlineData(WatcherType.Data, "00000002 2F61 | 00000002")]
    [InlineData(WatcherType.Any, "00000002 2F61 | 00000003")]
    [InlineData(WatcherType.Persistent, "00000002 2F61 | 00000004")]
    [InlineData(WatcherType.PersistentRecursive, "00000002 2F61 | 00000005")]
    public void check_watches_and_remove_watches_requests(WatcherType type, string hex) => Wire.Golden(new WatchesRequest("/a", type), hex);

    [Theory]
    [InlineData(AddWatchMode.Persistent, "00000002 2F61 | 00000000")]
    [InlineData(AddWatchMode.PersistentRecursive, "00000002 2F61 | 00000001")]
    public void add_watch_request(AddWatchMode mode, string hex) => Wire.Golden(new AddWatchRequest("/a", mode), hex);

    [Fact]
    public void reconfig_request_with_nulls() =>
        Wire.Golden(new ReconfigRequest("server.2=h", null, null, -1),
            "0000000A 7365727665722E323D68 | FFFFFFFF | FFFFFFFF | FFFFFFFFFFFFFFFF");

    [Fact]
    public void reconfig_request_with_empty_strings() =>
        Wire.Golden(new ReconfigRequest("", "1", "", 0x0000000100000000), "00000000 | 00000001 31 | 00000000 | 0000000100000000");

    [Fact]
    public void sasl_token_null_versus_empty()
    {
        Wire.Golden(new SaslToken(Wire.Hex("DEAD")), "00000002 DEAD");
        Wire.Golden(new SaslToken(null), "FFFFFFFF");
        Wire.Golden(new SaslToken([]), "00000000");
    }

    // setWatches / setWatches2 take a version flag, so they are not IJuteRecord; checked by hand here.

    private const string SetWatchesV1Hex =
        "0000000100000005 | 00000001 00000002 2F61 | 00000000 | 00000002 00000002 2F62 00000002 2F63";

    [Fact]
    public void set_watches_v1()
    {
        var value = new SetWatchesRequest(0x0000000100000005, ["/a"], [], ["/b", "/c"], [], [], IsVersion2: false);
        Assert.Equal(Wire.Canonical(SetWatchesV1Hex), Wire.HexOf(value.Write));
        Wire.AssertSame(value, ReadSetWatches(SetWatchesV1Hex, version2: false));
    }

    [Fact]
    public void set_watches_v2_appends_the_persistent_lists()
    {
        const string hex = SetWatchesV1Hex + " | 00000001 00000002 2F70 | 00000000";
        var value = new SetWatchesRequest(0x0000000100000005, ["/a"], [], ["/b", "/c"], ["/p"], [], IsVersion2: true);
        Assert.Equal(Wire.Canonical(hex), Wire.HexOf(value.Write));
        Wire.AssertSame(value, ReadSetWatches(hex, version2: true));
    }

    [Fact]
    public void set_watches_null_vectors_read_as_empty()
    {
        var read = ReadSetWatches("0000000000000000 | FFFFFFFF | FFFFFFFF | FFFFFFFF | FFFFFFFF | FFFFFFFF", version2: true);
        Wire.AssertSame(new SetWatchesRequest(0, [], [], [], [], [], true), read);
    }

    internal static SetWatchesRequest ReadSetWatches(string hex, bool version2)
    {
        var bytes = Wire.Hex(hex);
        var r = new JuteReader(bytes);
        var value = SetWatchesRequest.Read(ref r, version2);
        Assert.True(r.AtEnd, $"{r.Remaining} bytes unread");
        return value;
    }
}
