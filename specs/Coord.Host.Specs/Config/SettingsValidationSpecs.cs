using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>Errors say which key, what value, where it came from and what to do.</summary>
public class SettingsValidationSpecs
{
    private static CoordConfigException Invalid(string hocon, IReadOnlyDictionary<string, string?>? overrides = null, System.Collections.IDictionary? env = null)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", hocon);
        return Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, overrides ?? new Dictionary<string, string?>(), env ?? Env()));
    }

    [Fact]
    public void Session_minimum_below_two_ticks_names_both_keys()
    {
        var error = Invalid("coord.session.timeout-ms-min = 500");
        Assert.StartsWith("coord.session.timeout-ms-min (500) must be at least 2 × coord.tick-ms (2000) = 4000", Assert.Single(error.Errors));
    }

    [Fact]
    public void Session_maximum_below_the_minimum_is_an_error() =>
        Assert.Contains("coord.session.timeout-ms-max (3000) must be at least coord.session.timeout-ms-min (4000)",
            Assert.Single(Invalid("coord.session.timeout-ms-max = 3000").Errors));

    [Fact]
    public void An_unknown_key_is_named_with_its_file_and_the_closest_known_key()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord {\n  client {\n    prot = 2182\n  }\n}");
        var error = Assert.Throws<CoordConfigException>(() => ConfigLoader.Load(file, new Dictionary<string, string?>(), Env()));
        Assert.Equal($"unknown key coord.client.prot (from {file}); did you mean coord.client.port?", Assert.Single(error.Errors));
    }

    [Fact]
    public void An_unknown_section_suggests_the_closest_key() =>
        Assert.Contains("did you mean coord.session?", Assert.Single(Invalid("coord.sesion.timeout-ms-min = 9000").Errors));

    [Fact]
    public void An_unknown_environment_variable_is_named()
    {
        var error = Invalid("", env: Env(("COORD_CLIENT__PROT", "1")));
        Assert.Contains("unknown key coord.client.prot (from environment variable COORD_CLIENT__PROT); did you mean coord.client.port?", Assert.Single(error.Errors));
    }

    [Fact]
    public void Keys_outside_coord_are_left_alone() =>
        Assert.Equal(2181, ConfigLoader.Load(null, new Dictionary<string, string?> { ["akka:loglevel"] = "x" }, Env()).Client.Port);

    [Fact]
    public void Unparseable_values_say_what_was_expected_and_where_they_came_from()
    {
        var error = Invalid("coord.client.port = twenty\ncoord.znode.extended-types-enabled = maybe\ncoord.logging.level = loud",
            overrides: new Dictionary<string, string?> { ["coord:tick-ms"] = "1s" });
        Assert.Equal(4, error.Errors.Count);
        Assert.Contains(error.Errors, e => e.StartsWith("coord.client.port = 'twenty' (from ", StringComparison.Ordinal) && e.EndsWith("coord.conf): expected an integer", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("coord.znode.extended-types-enabled = 'maybe'") && e.EndsWith("expected true or false", StringComparison.Ordinal));
        Assert.Contains(error.Errors, e => e.Contains("coord.logging.level = 'loud'") && e.Contains("Information"));
        Assert.Contains("coord.tick-ms = '1s' (from command line): expected an integer", error.Errors);
    }

    [Fact]
    public void Null_is_refused_where_the_key_has_no_null_default() =>
        Assert.Contains("coord.tick-ms must not be null", Assert.Single(Invalid("coord.tick-ms = null").Errors));

    [Theory]
    [InlineData("coord.server-id = 0", "coord.server-id (0) must be at least 1")]
    [InlineData("coord.tick-ms = 0", "coord.tick-ms (0) must be between 1 and 60000")]
    [InlineData("coord.data-dir = \"\"", "coord.data-dir must not be empty")]
    [InlineData("coord.client.port = 70000", "coord.client.port (70000) must be between 0 and 65535")]
    [InlineData("coord.client.host = \"not a host\"", "coord.client.host ('not a host') must be an IP address or host name")]
    [InlineData("coord.client.frame-bytes-max = 10", "coord.client.frame-bytes-max (10) must be at least 1024")]
    [InlineData("coord.client.outstanding-requests-max = 0", "coord.client.outstanding-requests-max (0) must be at least 1")]
    [InlineData("coord.client.connections-per-ip-max = -1", "coord.client.connections-per-ip-max (-1) must be 0 (unlimited) or more")]
    [InlineData("coord.client.listen-backlog = 0", "coord.client.listen-backlog (0) must be at least 1")]
    [InlineData("coord.session.sessions-max = 0", "coord.session.sessions-max (0) must be at least 1")]
    [InlineData("coord.znode.container-check-interval-ms = 0", "coord.znode.container-check-interval-ms (0) must be at least 1")]
    [InlineData("coord.znode.container-max-per-minute = 0", "coord.znode.container-max-per-minute (0) must be at least 1")]
    [InlineData("coord.auth.super-digest = \"super\"", "coord.auth.super-digest must be \"\" or \"<user>:<base64 sha1>\"")]
    [InlineData("coord.four-letter-words.whitelist = [ruok, mtnr]", "unknown word 'mtnr'; did you mean 'mntr'?")]
    [InlineData("coord.client = 5", "coord.client must be an object")]
    [InlineData("coord.client.port { a = 1 }", "coord.client.port must be a single value")]
    public void Range_errors_name_the_key_and_the_fix(string hocon, string expected) =>
        Assert.Contains(Invalid(hocon).Errors, e => e.Contains(expected));

    [Fact]
    public void All_problems_are_reported_together()
    {
        var error = Invalid("coord { server-id = 0, client.port = -1, client.listen-backlog = 0 }");
        Assert.Equal(3, error.Errors.Count);
        Assert.Contains("coord.server-id (0)", error.Message);
    }

    [Fact]
    public void A_valid_super_digest_binds() =>
        Assert.Equal("super:D/InIHSb7yEEbrWz8b9l71RjZJU=",
            ConfigLoader.Load(null, new Dictionary<string, string?> { ["coord.auth.super-digest"] = "super:D/InIHSb7yEEbrWz8b9l71RjZJU=" }, Env()).Auth.SuperDigest);
}
