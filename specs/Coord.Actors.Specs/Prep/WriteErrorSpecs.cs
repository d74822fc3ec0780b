using Coord.Actors.Prep;
using Coord.Protocol;
using Coord.Protocol.Records;
using static Coord.Actors.Specs.Prep.Harness;

namespace Coord.Actors.Specs.Prep;

/// <summary>Error precedence of wire-protocol.md §8: when several checks fail, the earlier check wins.</summary>
public sealed class WriteErrorSpecs
{
    private readonly Harness _h = new();
    private readonly SessionContext _s;
    private readonly SessionContext _alice;

    public WriteErrorSpecs()
    {
        _s = _h.Session(1);
        _alice = _h.Session(2, Alice);
        _h.Run(OpCode.Create, Create("/locked", acl: AliceOnly), _alice);   // nobody else may create/delete below it
        _h.Run(OpCode.Create, Create("/locked/kid", acl: AliceOnly), _alice);
        _h.Run(OpCode.Create, Create("/open"), _s);
        _h.Run(OpCode.Create, Create("/open/kid"), _s);
        _h.Run(OpCode.Create, Create("/eph", mode: CreateMode.Ephemeral), _s);
    }

    private static readonly IReadOnlyList<Acl> BadAcl = [new(Perms.All, new Id("digest", "nohash"))];

    public static TheoryData<string, CreateRequest, ErrorCode> CreateCases() => new()
    {
        { "invalid flag", new("/x", null, Acl.OpenAclUnsafe, 7), ErrorCode.BadArguments },
        { "ttl mode on a server without ttl", new("/x", null, Acl.OpenAclUnsafe, 5), ErrorCode.Unimplemented },
        { "no slash beats bad acl", new("x", null, BadAcl, 0), ErrorCode.BadArguments },
        { "bad acl beats missing parent", new("/nope/x", null, BadAcl, 0), ErrorCode.InvalidAcl },
        { "empty acl", new("/x", null, [], 0), ErrorCode.InvalidAcl },
        { "unknown scheme", new("/x", null, [new(Perms.All, new Id("foo", "bar"))], 0), ErrorCode.InvalidAcl },
        { "auth without ids", new("/x", null, Acl.CreatorAllAcl, 0), ErrorCode.InvalidAcl },
        { "missing parent beats no permission", new("/locked/nope/x", null, Acl.OpenAclUnsafe, 0), ErrorCode.NoNode },
        { "no permission beats node exists", new("/locked/kid", null, Acl.OpenAclUnsafe, 0), ErrorCode.NoAuth },
        { "no permission beats bad path", new("/locked/.", null, Acl.OpenAclUnsafe, 0), ErrorCode.NoAuth },
        { "bad path after parent checks", new("/open/.", null, Acl.OpenAclUnsafe, 0), ErrorCode.BadArguments },
        { "control character", new("/b\u001e", null, Acl.OpenAclUnsafe, 0), ErrorCode.BadArguments },
        { "trailing slash without sequential", new("/open/", null, Acl.OpenAclUnsafe, 0), ErrorCode.BadArguments },
        { "node exists beats ephemeral parent", new("/eph", null, Acl.OpenAclUnsafe, 1), ErrorCode.NodeExists },
        { "child of an ephemeral", new("/eph/x", null, Acl.OpenAclUnsafe, 0), ErrorCode.NoChildrenForEphemerals },
        { "existing node", new("/open/kid", null, Acl.OpenAclUnsafe, 0), ErrorCode.NodeExists },
    };

    [Theory, MemberData(nameof(CreateCases))]
    public void Create_error_precedence(string name, CreateRequest req, ErrorCode expected)
    {
        Assert.True(expected == _h.Err(OpCode.Create, req, _s), name);
    }

    [Fact]
    public void Ttl_value_and_mode_are_checked_first_when_ttl_is_enabled()
    {
        var h = new Harness(ttlEnabled: true);
        var s = h.Session(1);
        CreateTtlRequest Ttl(int flags, long ttl) => new("/nope/x", null, [], flags, ttl);
        Assert.Equal(ErrorCode.BadArguments, h.Err(OpCode.CreateTtl, Ttl(5, 0), s));
        Assert.Equal(ErrorCode.BadArguments, h.Err(OpCode.CreateTtl, Ttl(5, EphemeralMaxPlusOne), s));
        Assert.Equal(ErrorCode.BadArguments, h.Err(OpCode.CreateTtl, Ttl(1, 100), s));
        Assert.Equal(ErrorCode.BadArguments, h.Err(OpCode.CreateTtl, Ttl(0, 100), s));
        Assert.Equal(ErrorCode.InvalidAcl, h.Err(OpCode.CreateTtl, Ttl(6, 100), s));
        Assert.Equal(ErrorCode.Ok, h.Err(OpCode.CreateTtl, new CreateTtlRequest("/t", null, Acl.OpenAclUnsafe, 6, 0xFF_FFFF_FFFFL), s));
        Assert.Equal(ErrorCode.Unimplemented, _h.Err(OpCode.CreateTtl, new CreateTtlRequest("/t", null, Acl.OpenAclUnsafe, 5, 100), _s));
    }

    private const long EphemeralMaxPlusOne = 0x100_0000_0000L;

    [Fact]
    public void Writes_from_unknown_or_closing_sessions_are_session_expired()
    {
        var ghost = new SessionContext(99, []);
        Assert.Equal(ErrorCode.SessionExpired, _h.Err(OpCode.Create, Create("/x", mode: CreateMode.Ephemeral), ghost));
        Assert.Equal(ErrorCode.SessionExpired, _h.Err(OpCode.SetData, SetData("/open", "v"), ghost));
        _h.PrepareClose(1);
        Assert.Equal(ErrorCode.SessionExpired, ((Coord.Actors.Txns.ErrorTxn)_h.PrepareOnly(OpCode.Create, Create("/y"), _s)).Err);
        Assert.Equal(ErrorCode.SessionExpired, ((Coord.Actors.Txns.ErrorTxn)_h.PrepareClose(1)).Err);
    }

    [Theory]
    [InlineData("root", "/", -1, ErrorCode.BadArguments)]
    [InlineData("/zookeeper", "/zookeeper", -1, ErrorCode.BadArguments)]
    [InlineData("/zookeeper/quota", "/zookeeper/quota", -1, ErrorCode.BadArguments)]
    [InlineData("/zookeeper/config", "/zookeeper/config", -1, ErrorCode.BadArguments)]
    [InlineData("no slash", "x", -1, ErrorCode.BadArguments)]
    [InlineData("missing parent", "/nope/x", -1, ErrorCode.NoNode)]
    [InlineData("no DELETE on parent beats missing node", "/locked/nope", -1, ErrorCode.NoAuth)]
    [InlineData("missing node", "/open/nope", -1, ErrorCode.NoNode)]
    [InlineData("bad version beats not empty", "/open", 5, ErrorCode.BadVersion)]
    [InlineData("not empty", "/open", 0, ErrorCode.NotEmpty)]
    [InlineData("ok", "/open/kid", 0, ErrorCode.Ok)]
    public void Delete_error_precedence(string name, string path, int version, ErrorCode expected)
    {
        Assert.True(expected == _h.Err(OpCode.Delete, Delete(path, version), _s), name);
    }

    [Theory]
    [InlineData("bad path", "/a/", -1, ErrorCode.BadArguments)]
    [InlineData("missing node", "/nope", 3, ErrorCode.NoNode)]
    [InlineData("no WRITE beats bad version", "/locked", 3, ErrorCode.NoAuth)]
    [InlineData("bad version", "/open", 3, ErrorCode.BadVersion)]
    [InlineData("ok", "/open", 0, ErrorCode.Ok)]
    public void SetData_error_precedence(string name, string path, int version, ErrorCode expected)
    {
        Assert.True(expected == _h.Err(OpCode.SetData, SetData(path, "v", version), _s), name);
    }

    [Theory]
    [InlineData("bad path beats bad acl", "/a/", true, -1, ErrorCode.BadArguments)]
    [InlineData("bad acl beats missing node", "/nope", true, -1, ErrorCode.InvalidAcl)]
    [InlineData("missing node", "/nope", false, -1, ErrorCode.NoNode)]
    [InlineData("no ADMIN beats bad version", "/locked", false, 9, ErrorCode.NoAuth)]
    [InlineData("bad aversion", "/open", false, 9, ErrorCode.BadVersion)]
    [InlineData("ok", "/open", false, 0, ErrorCode.Ok)]
    public void SetAcl_error_precedence(string name, string path, bool badAcl, int version, ErrorCode expected)
    {
        Assert.True(expected == _h.Err(OpCode.SetAcl, SetAcl(path, badAcl ? BadAcl : Acl.OpenAclUnsafe, version), _s), name);
    }

    [Fact]
    public void Acl_normalisation_dedupes_and_expands_auth_to_the_callers_digest_ids()
    {
        var s = _h.Session(3, Alice, Bob, new Id("ip", "10.0.0.1"), new Id("super", ""));
        var acl = new List<Acl> { new(Perms.All, Id.AuthIds), new(Perms.Read, Id.Anyone), new(Perms.Read, Id.Anyone),
                                  new(Perms.Read, new Id("ip", "10.0.0.0/8")) };
        _h.Run(OpCode.Create, Create("/n", acl: acl), s);
        Assert.Equal([new Acl(Perms.All, Alice), new Acl(Perms.All, Bob), new Acl(Perms.Read, Id.Anyone), new Acl(Perms.Read, new Id("ip", "10.0.0.0/8"))],
            _h.Tree.Get("/n")!.Acl);
    }

    [Fact]
    public void Super_bypasses_acls_and_ip_ids_grant_by_prefix()
    {
        var super = _h.Session(4, new Id("super", ""));
        Assert.Equal(ErrorCode.Ok, _h.Err(OpCode.SetData, SetData("/locked", "v"), super));
        var net = _h.Session(5, new Id("ip", "10.1.2.3"));
        _h.Run(OpCode.Create, Create("/lan", acl: [new(Perms.All, new Id("ip", "10.0.0.0/8"))]), net);
        Assert.Equal(ErrorCode.Ok, _h.Err(OpCode.SetData, SetData("/lan", "v"), net));
        Assert.Equal(ErrorCode.NoAuth, _h.Err(OpCode.SetData, SetData("/lan", "v"), _s));
    }

    [Fact]
    public void Bad_request_shapes_are_errors_not_exceptions()
    {
        Assert.Equal(ErrorCode.MarshallingError, _h.Err(OpCode.Create, new DeleteRequest("/x", 0), _s));
        Assert.Equal(ErrorCode.Unimplemented, _h.Err(OpCode.Check, new CheckVersionRequest("/open", 0), _s));
        Assert.Equal(ErrorCode.Unimplemented, _h.Err(OpCode.GetData, new PathWatchRequest("/open", false), _s));
    }
}
