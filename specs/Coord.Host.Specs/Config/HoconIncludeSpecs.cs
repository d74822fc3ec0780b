using Coord.Host.Config;
using Microsoft.Extensions.Configuration;

namespace Coord.Host.Specs.Config;

public class HoconIncludeSpecs
{
    private static Dictionary<string, string?> FlatFile(string path) =>
        HoconFlattener.Flatten(HoconResolver.Resolve(HoconParser.ParseFile(path), _ => null));

    [Fact]
    public void Include_is_relative_to_the_including_file_and_later_fields_win()
    {
        using var dir = new TempDir();
        dir.Write("conf/common/base.conf", "a = 1\nb = 1\nnested { x = 1 }");
        var main = dir.Write("conf/main.conf", "b = 0\ninclude \"common/base.conf\"\nb = 2\nnested.y = 2");
        var flat = FlatFile(main);
        Assert.Equal("1", flat["a"]);
        Assert.Equal("2", flat["b"]);
        Assert.Equal("1", flat["nested:x"]);
        Assert.Equal("2", flat["nested:y"]);
    }

    [Fact]
    public void Include_inside_an_object_places_the_keys_there_and_fixes_up_substitutions()
    {
        using var dir = new TempDir();
        dir.Write("client.conf", "port = 2181\nurl = \"localhost:\"${port}");
        var main = dir.Write("main.conf", "coord { client { include file(\"client.conf\") } }");
        var flat = FlatFile(main);
        Assert.Equal("2181", flat["coord:client:port"]);
        Assert.Equal("localhost:2181", flat["coord:client:url"]);
    }

    [Fact]
    public void A_missing_include_is_skipped_unless_required()
    {
        using var dir = new TempDir();
        var optional = dir.Write("a.conf", "include \"nope.conf\"\nx = 1");
        Assert.Equal("1", FlatFile(optional)["x"]);

        var required = dir.Write("b.conf", "x = 1\ninclude required(\"nope.conf\")");
        var error = Assert.Throws<HoconException>(() => FlatFile(required));
        Assert.Equal((2, 18), (error.Position.Line, error.Position.Column));
        Assert.Contains("included file not found", error.Message);
        Assert.Contains(required, error.Message);
    }

    [Fact]
    public void Include_without_extension_finds_the_conf_file()
    {
        using var dir = new TempDir();
        dir.Write("defaults.conf", "x = 1");
        Assert.Equal("1", FlatFile(dir.Write("main.conf", "include required(file(\"defaults\"))"))["x"]);
    }

    [Fact]
    public void Errors_in_an_included_file_name_that_file()
    {
        using var dir = new TempDir();
        var broken = dir.Write("broken.conf", "ok = 1\nbad = [");
        var main = dir.Write("main.conf", "include \"broken.conf\"");
        var error = Assert.Throws<HoconException>(() => FlatFile(main));
        Assert.Equal(broken, error.Position.File);
        Assert.Equal(2, error.Position.Line);
    }

    [Fact]
    public void An_include_cycle_is_an_error()
    {
        using var dir = new TempDir();
        dir.Write("a.conf", "include \"b.conf\"");
        dir.Write("b.conf", "include \"a.conf\"");
        var error = Assert.Throws<HoconException>(() => FlatFile(Path.Combine(dir.Path, "a.conf")));
        Assert.Contains("include cycle", error.Message);
    }

    [Fact]
    public void A_key_named_include_is_still_a_key() =>
        Assert.Equal("5", Hocon.Flat("include = 5")["include"]);

    [Fact]
    public void Url_and_classpath_includes_are_refused_clearly()
    {
        var error = Assert.Throws<HoconException>(() => HoconParser.Parse("include url(\"http://x\")", "test.conf"));
        Assert.Contains("url() and classpath() are not supported", error.Message);
    }

    [Fact]
    public void The_configuration_provider_flattens_a_hocon_file_with_colons()
    {
        using var dir = new TempDir();
        var file = dir.Write("app.conf", "coord { client.port = 2182, four-letter-words.whitelist = [ruok, mntr] }");
        var config = new ConfigurationBuilder().AddHoconFile(file).Build();
        Assert.Equal("2182", config["coord:client:port"]);
        Assert.Equal("ruok", config["coord:four-letter-words:whitelist:0"]);
        Assert.Equal("mntr", config["coord:four-letter-words:whitelist:1"]);
    }

    [Fact]
    public void The_provider_tolerates_a_missing_optional_file_and_reports_a_missing_required_one()
    {
        var missing = Path.Combine(Path.GetTempPath(), "coord-no-such-" + Guid.NewGuid() + ".conf");
        Assert.Empty(new ConfigurationBuilder().AddHoconFile(missing, optional: true).Build().AsEnumerable());
        Assert.Throws<FileNotFoundException>(() => new ConfigurationBuilder().AddHoconFile(missing).Build());
    }
}
