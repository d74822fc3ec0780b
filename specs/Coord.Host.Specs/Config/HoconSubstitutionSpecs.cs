using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary><c>${path}</c>: a file may build values from defaults and from its own keys; the environment is read by
/// the COORD_ layer, not by substitutions.</summary>
public class HoconSubstitutionSpecs
{
    [Fact]
    public void A_file_can_refer_to_a_default_from_reference_conf()
    {
        using var dir = new TempDir();
        var s = Load(dir.Write("coord.conf", "coord.session.timeout-ms-min = ${coord.tick-ms}0")).Settings;
        Assert.Equal(20000, s.Session.TimeoutMsMin);
    }

    [Fact]
    public void A_substitution_sees_the_value_the_file_sets_later()
    {
        using var dir = new TempDir();
        var s = Load(dir.Write("coord.conf", "coord.session.timeout-ms-max = ${coord.tick-ms}0\ncoord.tick-ms = 3000")).Settings;
        Assert.Equal(30000, s.Session.TimeoutMsMax);
    }

    [Fact]
    public void Substitutions_resolve_forward_join_text_and_copy_objects()
    {
        var flat = Flat("data = ${dir}/data\ndir = /var/coord\nurl = \"http://\"${host}\":2181\"\nhost = example\nb { c = 5 }\ne = ${b}");
        Assert.Equal("/var/coord/data", flat["data"]);
        Assert.Equal("http://example:2181", flat["url"]);
        Assert.Equal("5", flat["e:c"]);
    }

    [Fact]
    public void An_optional_environment_substitution_is_refused_with_the_variable_to_use()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.data-dir = ${?DATA}");
        var error = LoadError(file, Env(("DATA", "/srv/coord")));
        Assert.StartsWith($"{file}: coord.data-dir: optional and environment substitutions (${{?NAME}}) are not supported", error);
        Assert.EndsWith("set this key with the environment variable COORD_DATA_DIR instead", error);
    }

    [Fact]
    public void An_environment_variable_is_not_a_key_and_the_error_says_what_to_use()
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", "coord.data-dir = ${HOME}");
        var error = LoadError(file, Env(("HOME", "/home/z")));
        Assert.StartsWith($"{file}: ${{HOME}} names no key of this file or of reference.conf", error);
        Assert.Contains("COORD_CLIENT__PORT=2182", error);
    }

    [Fact]
    public void The_coord_environment_layer_is_the_way_to_override_a_file()
    {
        using var dir = new TempDir();
        var s = Load(dir.Write("coord.conf", "coord.data-dir = /file"), Env(("COORD_DATA_DIR", "/srv/coord"))).Settings;
        Assert.Equal("/srv/coord", s.DataDir);
    }

    [Theory]
    [InlineData("coord.tick-ms = ${coord.x}\ncoord.x = ${coord.tick-ms}")]
    [InlineData("akka { a = ${akka.b}, b = ${akka.a} }")]
    [InlineData("coord.data-dir = /srv\ncoord.data-dir = ${coord.data-dir}/coord")]
    [InlineData("coord { client = ${coord} }")]
    public void A_substitution_cycle_is_an_error_not_a_crash(string text)
    {
        // Akka's parser accepts these and then recurses without end when the value is read: the process would die
        // of a stack overflow without a message, so the walk refuses them first, in akka { } too.
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", text);
        var errors = Assert.Throws<Coord.Host.Config.CoordConfigException>(() => Load(file)).Errors;
        Assert.Contains(errors, e => e.StartsWith(file + ": ", StringComparison.Ordinal) && e.Contains("refers back to itself"));
    }
}
