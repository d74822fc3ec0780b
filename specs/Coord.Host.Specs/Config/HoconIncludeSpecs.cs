using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary><c>include "file"</c>, as the members of an ensemble share a common file.</summary>
public class HoconIncludeSpecs
{
    [Fact]
    public void Include_is_relative_to_the_including_file_and_later_fields_win()
    {
        using var dir = new TempDir();
        dir.Write("conf/common/base.conf", "coord { tick-ms = 1000, client.port = 3000, client.listen-backlog = 7 }");
        var node = dir.Write("conf/node1.conf", "coord.client.listen-backlog = 1\ninclude \"common/base.conf\"\ncoord.client.port = 3001");
        // Run from elsewhere: the include must not depend on the working directory.
        var s = Load(node).Settings;
        Assert.Equal((1000, 3001, 7), (s.TickMs, s.Client.Port, s.Client.ListenBacklog));
    }

    [Fact]
    public void Nested_includes_resolve_relative_to_the_file_that_holds_them()
    {
        using var dir = new TempDir();
        dir.Write("shared/limits/sessions.conf", "coord.session.sessions-max = 5");
        dir.Write("shared/all.conf", "include \"limits/sessions.conf\"\ncoord.tick-ms = 1500");
        var node = dir.Write("nodes/node1.conf", "include \"../shared/all.conf\"\ncoord.server-id = 3");
        var s = Load(node).Settings;
        Assert.Equal((5, 1500, 3), (s.Session.SessionsMax, s.TickMs, s.ServerId));
    }

    [Fact]
    public void Include_inside_an_object_places_the_keys_there_and_its_substitutions_resolve()
    {
        using var dir = new TempDir();
        dir.Write("client.conf", "port = 2182\nurl = \"localhost:\"${port}");
        var flat = FlatFile(dir.Write("main.conf", "coord { client { include \"client.conf\" } }"));
        Assert.Equal("2182", flat["coord:client:port"]);
        Assert.Equal("localhost:2182", flat["coord:client:url"]);
    }

    [Fact]
    public void A_substitution_in_an_included_file_sees_only_that_file_and_the_error_says_so()
    {
        using var dir = new TempDir();
        dir.Write("own.conf", "coord.tick-ms = 1000\ncoord.session.timeout-ms-max = ${coord.tick-ms}0");
        Assert.Equal(10000, Load(dir.Write("a.conf", "include \"own.conf\"")).Settings.Session.TimeoutMsMax);

        var defaults = dir.Write("defaults.conf", "coord.session.timeout-ms-max = ${coord.tick-ms}0");
        var error = LoadError(dir.Write("b.conf", "include \"defaults.conf\""));
        Assert.StartsWith($"{defaults}: ${{coord.tick-ms}} names no key of this file; a substitution in an included file can refer only to keys set in that same file", error);
    }

    [Fact]
    public void Include_without_extension_finds_the_conf_file()
    {
        using var dir = new TempDir();
        dir.Write("defaults.conf", "coord.tick-ms = 1000");
        Assert.Equal(1000, Load(dir.Write("main.conf", "include \"defaults\"")).Settings.TickMs);
    }

    [Fact]
    public void A_missing_include_is_an_error_naming_both_files()
    {
        using var dir = new TempDir();
        var main = dir.Write("main.conf", "include \"commn.conf\"\ncoord.tick-ms = 1000");
        var error = LoadError(main);
        Assert.StartsWith($"{main}: included file not found: {Path.Combine(dir.Path, "commn.conf")}", error);
        Assert.EndsWith("create it or remove the include", error);
    }

    [Fact]
    public void Errors_in_an_included_file_name_that_file_line_and_column()
    {
        using var dir = new TempDir();
        var broken = dir.Write("broken.conf", "coord {\n  tick-ms = 1000\n");
        var main = dir.Write("main.conf", "include \"broken.conf\"");
        Assert.StartsWith($"{broken}:1:7: the '{{' opened here is never closed", LoadError(main));
    }

    [Fact]
    public void An_include_cycle_is_an_error()
    {
        using var dir = new TempDir();
        var a = dir.Write("a.conf", "include \"b.conf\"");
        var b = dir.Write("b.conf", "include \"a.conf\"");
        Assert.Contains($"include cycle {a} -> {b} -> {a}", LoadError(a));
    }

    [Fact]
    public void A_key_named_include_is_still_a_key() =>
        Assert.Equal("5", Flat("include = 5")["include"]);

    [Theory]
    [InlineData("include required(\"base.conf\")")]
    [InlineData("include file(\"base.conf\")")]
    [InlineData("include url(\"http://x/base.conf\")")]
    public void Other_include_forms_are_refused_not_ignored(string include)
    {
        // Akka's parser reads these as a key named "include required(" and so on; the settings would be lost.
        using var dir = new TempDir();
        dir.Write("base.conf", "coord.tick-ms = 1000");
        var error = LoadError(dir.Write("main.conf", include));
        Assert.Contains("only include \"file\" is supported", error);
        Assert.EndsWith("write include \"name.conf\"", error);
    }
}
