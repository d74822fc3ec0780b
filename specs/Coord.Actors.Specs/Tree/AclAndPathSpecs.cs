using Coord.Actors.Tree;
using Coord.Protocol;

namespace Coord.Actors.Specs.Tree;

public sealed class AclAndPathSpecs
{
    private static readonly Id Super = new("super", "");

    [Fact]
    public void Digest_of_super_test_matches_kazoos_superDigest()
    {
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=", DigestAuth.Digest("super:test"));
    }

    [Theory]
    [InlineData("world:anyone allows everyone", "world", "anyone", Perms.Read, Perms.Read, "", true)]
    [InlineData("missing bit denies", "world", "anyone", Perms.Read, Perms.Write, "", false)]
    [InlineData("any bit of the requested set suffices", "world", "anyone", Perms.Read, Perms.Read | Perms.Admin, "", true)]
    [InlineData("digest exact match", "digest", "alice:hash", Perms.All, Perms.Write, "digest:alice:hash", true)]
    [InlineData("digest mismatch", "digest", "alice:hash", Perms.All, Perms.Write, "digest:alice:other", false)]
    [InlineData("scheme must match", "digest", "10.0.0.1", Perms.All, Perms.Read, "ip:10.0.0.1", false)]
    [InlineData("ip exact", "ip", "10.1.2.3", Perms.All, Perms.Read, "ip:10.1.2.3", true)]
    [InlineData("ip /8 prefix", "ip", "10.0.0.0/8", Perms.All, Perms.Read, "ip:10.200.1.1", true)]
    [InlineData("ip /24 outside", "ip", "10.0.0.0/24", Perms.All, Perms.Read, "ip:10.0.1.1", false)]
    [InlineData("ip /0 matches every v4", "ip", "1.2.3.4/0", Perms.All, Perms.Read, "ip:200.1.1.1", true)]
    [InlineData("ipv6 /64 prefix", "ip", "2001:db8::/64", Perms.All, Perms.Read, "ip:2001:db8::1234", true)]
    [InlineData("ipv6 outside prefix", "ip", "2001:db8::/64", Perms.All, Perms.Read, "ip:2001:db9::1", false)]
    [InlineData("v4 caller vs v6 acl", "ip", "::/0", Perms.All, Perms.Read, "ip:10.0.0.1", false)]
    [InlineData("no ids", "digest", "alice:hash", Perms.All, Perms.Read, "", false)]
    public void Acl_check(string name, string scheme, string ident, Perms granted, Perms wanted, string caller, bool allowed)
    {
        var ids = caller.Length == 0 ? [] : new List<Id> { new(caller[..caller.IndexOf(':')], caller[(caller.IndexOf(':') + 1)..]) };
        Assert.True(allowed == AclCheck.Allowed([new Acl(granted, new Id(scheme, ident))], wanted, ids), name);
    }

    [Fact]
    public void Super_and_empty_acl_always_allow()
    {
        Assert.True(AclCheck.Allowed([new Acl(Perms.Read, new Id("digest", "a:b"))], Perms.Admin, [Super]));
        Assert.True(AclCheck.Allowed([], Perms.Admin, []));
    }

    [Theory]
    [InlineData("/", null)]
    [InlineData("/a", null)]
    [InlineData("/a/b.c/..d/...", null)]
    [InlineData("/zookeeper", null)]
    [InlineData("", "path length must be > 0")]
    [InlineData("a", "path must start with / character")]
    [InlineData("/a/", "path must not end with / character")]
    [InlineData("/a//b", "empty node name specified @3")]
    [InlineData("/a/./b", "relative paths not allowed @3")]
    [InlineData("/a/..", "relative paths not allowed @4")]
    [InlineData("/a\0b", "null character not allowed @2")]
    [InlineData("/b\u001e", "invalid character @2")]
    [InlineData("/b\u007f", "invalid character @2")]
    [InlineData("/b\ud83d\ude00", "invalid character @2")]
    [InlineData("/b\ufff0", "invalid character @2")]
    public void Path_validation(string path, string? reason)
    {
        Assert.Equal(reason, PathRules.Validate(path));
    }

    [Fact]
    public void Trailing_slash_is_allowed_only_as_a_sequential_prefix()
    {
        Assert.NotNull(PathRules.Validate("/q/"));
        Assert.Null(PathRules.Validate("/q/", allowTrailingSlash: true));
    }

    [Theory]
    [InlineData(0, "0000000000")]
    [InlineData(42, "0000000042")]
    [InlineData(int.MaxValue, "2147483647")]
    [InlineData(int.MinValue, "-2147483648")]
    [InlineData(-5, "-000000005")]
    public void Sequence_suffix_is_java_percent_010d(int counter, string suffix)
    {
        Assert.Equal(suffix, PathRules.SequenceSuffix(counter));
    }
}
