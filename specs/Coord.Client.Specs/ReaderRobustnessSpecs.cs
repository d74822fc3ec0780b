using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Specs;

/// <summary>
/// Hostile or broken input must surface as <see cref="JuteException"/> (the connection turns it into a close),
/// never as IndexOutOfRange, OutOfMemory or a silent misparse, and a lying length must not allocate.
/// </summary>
public sealed class ReaderRobustnessSpecs
{
    internal delegate object ReadFn(byte[] bytes);

    internal static readonly ReadFn ReadCreate = b => { var r = new JuteReader(b); return CreateRequest.Read(ref r); };
    internal static readonly ReadFn ReadConnect = b => { var r = new JuteReader(b); return ConnectRequest.Read(ref r); };
    internal static readonly ReadFn ReadMulti = b => { var r = new JuteReader(b); return MultiRequest.Read(ref r); };
    internal static readonly ReadFn ReadMultiResponse = b => { var r = new JuteReader(b); return MultiResponse.Read(ref r); };
    internal static readonly ReadFn ReadSetWatches2 = b => { var r = new JuteReader(b); return SetWatchesRequest.Read(ref r, version2: true); };
    internal static readonly ReadFn ReadSetWatches1 = b => { var r = new JuteReader(b); return SetWatchesRequest.Read(ref r, version2: false); };
    internal static readonly ReadFn ReadGetAcl = b => { var r = new JuteReader(b); return GetAclResponse.Read(ref r); };
    internal static readonly ReadFn ReadWhoAmI = b => { var r = new JuteReader(b); return WhoAmIResponse.Read(ref r); };

    public static TheoryData<string, string> TruncationCases => new()
    {
        { "create", "00000002 2F61 | 00000002 6869 | 00000001 0000001F 00000005 776F726C64 00000006 616E796F6E65 | 00000000" },
        { "multi", "00000001 00 FFFFFFFF | 00000002 2F61 FFFFFFFF 00000000 00000000 | 00000015 00 FFFFFFFF | " +
                   "00000002 2F64 FFFFFFFF 00000000 00000005 000000000000EA60 | FFFFFFFF 01 FFFFFFFF" },
        { "multiResponse", $"0000000F 00 00000000 | 00000002 2F62 {GoldenStat.Hex} | FFFFFFFF 00 FFFFFF9B FFFFFF9B | FFFFFFFF 01 FFFFFFFF" },
        { "setWatches2", "0000000100000005 | 00000001 00000002 2F61 | 00000000 | 00000001 00000002 2F62 | 00000000 | 00000001 00000002 2F63" },
        { "getAcl", $"00000001 00000001 00000005 776F726C64 00000006 616E796F6E65 | {GoldenStat.Hex}" },
        { "whoAmI", "00000001 00000006 646967657374 00000003 626F62" },
    };

    internal static ReadFn ReaderFor(string name) => name switch
    {
        "create" => ReadCreate,
        "multi" => ReadMulti,
        "multiResponse" => ReadMultiResponse,
        "setWatches2" => ReadSetWatches2,
        "getAcl" => ReadGetAcl,
        "whoAmI" => ReadWhoAmI,
        _ => throw new ArgumentOutOfRangeException(nameof(name)),
    };

    [Theory]
    [MemberData(nameof(TruncationCases))]
    public void truncation_at_every_byte_position_throws_jute_exception(string record, string hex)
    {
        var full = Wire.Hex(hex);
        var read = ReaderFor(record);
        read(full); // the whole record parses
        for (int cut = 0; cut < full.Length; cut++)
        {
            var prefix = full[..cut];
            var ex = Record.Exception(() => read(prefix));
            Assert.True(ex is JuteException, $"{record} cut at {cut}/{full.Length}: {ex?.GetType().Name ?? "no exception"}");
        }
    }

    /// <summary>A ConnectRequest cut right before readOnly is a valid pre-3.4 request; every other cut throws.</summary>
    [Fact]
    public void connect_request_truncation_throws_except_at_the_old_client_boundary()
    {
        var full = Wire.Hex("00000000 | 0000000000000000 | 00007530 | 0000000000000000 | 00000010 00×16 | 01");
        for (int cut = 0; cut < full.Length; cut++)
        {
            var prefix = full[..cut];
            if (cut == 44)
            {
                Assert.False(((ConnectRequest)ReadConnect(prefix)).HasReadOnlyField);
                continue;
            }
            Assert.Throws<JuteException>(() => ReadConnect(prefix));
        }
    }

    [Theory]
    [InlineData("FFFFFFFE")]
    [InlineData("80000000")]
    [InlineData("FFFFFF9B 2F61")]
    public void negative_string_length_other_than_minus_one_throws(string hex) =>
        Assert.Throws<JuteException>(() => Wire.Read<PathRequest>(Wire.Hex(hex)));

    [Theory]
    [InlineData("FFFFFFFE")]
    [InlineData("80000000 00000000")]
    public void negative_buffer_length_other_than_minus_one_throws(string hex) =>
        Assert.Throws<JuteException>(() => Wire.Read<SaslToken>(Wire.Hex(hex)));

    [Theory]
    [InlineData("FFFFFFFE")]
    [InlineData("80000000")]
    public void negative_vector_count_other_than_minus_one_throws(string hex)
    {
        Assert.Throws<JuteException>(() => Wire.Read<GetChildrenResponse>(Wire.Hex(hex)));
        Assert.Throws<JuteException>(() => Wire.Read<WhoAmIResponse>(Wire.Hex(hex)));
    }

    [Fact]
    public void buffer_length_beyond_the_input_throws_without_allocating()
    {
        // 20 bytes: a buffer claiming 2 GiB, then 16 bytes of "payload".
        var bytes = Wire.Hex("7FFFFFFF 00×16");
        Assert.Equal(20, bytes.Length);
        AssertThrowsWithoutAllocating(() => Wire.Read<SaslToken>(bytes));
    }

    [Fact]
    public void string_length_beyond_the_input_throws_without_allocating() =>
        AssertThrowsWithoutAllocating(() => Wire.Read<PathRequest>(Wire.Hex("7FFFFFFF 2F61 00×14")));

    [Fact]
    public void length_one_past_the_end_throws() =>
        Assert.Throws<JuteException>(() => Wire.Read<PathRequest>(Wire.Hex("00000003 2F61")));

    [Fact]
    public void vector_count_of_int_max_throws_without_allocating()
    {
        AssertThrowsWithoutAllocating(() => Wire.Read<GetChildrenResponse>(Wire.Hex("7FFFFFFF 00×16")));
        AssertThrowsWithoutAllocating(() => Wire.Read<GetAclResponse>(Wire.Hex("7FFFFFFF 00×16")));
        AssertThrowsWithoutAllocating(() => Wire.Read<WhoAmIResponse>(Wire.Hex("7FFFFFFF 00×16")));
        AssertThrowsWithoutAllocating(() => ReadSetWatches1(Wire.Hex("0000000000000000 7FFFFFFF 00×16")));
    }

    /// <summary>A count that fits in the bytes only if elements were smaller than their minimum wire size.</summary>
    [Fact]
    public void acl_vector_count_is_bounded_by_the_minimum_acl_size()
    {
        // 2 ACLs need at least 24 bytes; 20 are left.
        Assert.Throws<JuteException>(() => ReadCreate(Wire.Hex("00000002 2F61 FFFFFFFF 00000002 00×20")));
    }

    [Theory]
    [InlineData("00000002 C328")] // bad continuation byte
    [InlineData("00000001 FF")] // never valid in UTF-8
    [InlineData("00000002 C0AF")] // overlong '/'
    [InlineData("00000002 E282")] // truncated 3-byte sequence
    public void invalid_utf8_in_a_ustring_throws_jute_exception(string hex)
    {
        Assert.Throws<JuteException>(() => Wire.Read<PathRequest>(Wire.Hex(hex)));
        Assert.Throws<JuteException>(() => ReadCreate(Wire.Hex(hex + " FFFFFFFF 00000000 00000000")));
    }

    [Fact]
    public void reading_past_the_end_of_fixed_fields_throws()
    {
        Assert.Throws<JuteException>(() => Wire.Read<Stat>(new byte[67]));
        Assert.Throws<JuteException>(() => Wire.Read<RequestHeader>(new byte[7]));
        Assert.Throws<JuteException>(() => Wire.Read<ReplyHeader>(new byte[15]));
    }

    private static void AssertThrowsWithoutAllocating(Action read)
    {
        read = WarmUp(read);
        long before = GC.GetAllocatedBytesForCurrentThread();
        var ex = Record.Exception(read);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.IsType<JuteException>(ex);
        Assert.True(allocated < 256 * 1024, $"allocated {allocated} bytes before rejecting the length");
    }

    /// <summary>First call JITs and loads resources; measure the second.</summary>
    private static Action WarmUp(Action read)
    {
        try { read(); } catch (JuteException) { }
        return read;
    }
}
