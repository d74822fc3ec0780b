using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

public class HoconSubstitutionSpecs
{
    [Fact]
    public void Substitutions_resolve_against_the_whole_document_even_forward()
    {
        var flat = Flat("a = ${b.c}\nb { c = 5, d = ${b.c} }\ne = ${b}");
        Assert.Equal("5", flat["a"]);
        Assert.Equal("5", flat["b:d"]);
        Assert.Equal("5", flat["e:c"]);
    }

    [Fact]
    public void Substitutions_see_the_final_value_after_overrides() =>
        Assert.Equal("2", Flat("x = 1\ny = ${x}\nx = 2")["y"]);

    [Fact]
    public void Substitutions_concatenate_with_strings()
    {
        var flat = Flat("dir = /var/coord\ndata = ${dir}/data\nurl = \"http://\"${host}\":2181\"\nhost = example");
        Assert.Equal("/var/coord/data", flat["data"]);
        Assert.Equal("http://example:2181", flat["url"]);
    }

    [Fact]
    public void The_environment_answers_when_the_document_does_not()
    {
        var env = new Dictionary<string, string> { ["HOME"] = "/home/z", ["a"] = "from-env" };
        var flat = Flat("home = ${HOME}\na = doc\nb = ${a}\nopt = ${?HOME}", env);
        Assert.Equal("/home/z", flat["home"]);
        Assert.Equal("doc", flat["b"]);
        Assert.Equal("/home/z", flat["opt"]);
    }

    [Fact]
    public void An_undefined_optional_substitution_removes_the_field_or_element_and_is_empty_in_a_string()
    {
        var flat = Flat("a = 1\na = ${?NOPE}\nb = [1, ${?NOPE}, 3]\nc = x${?NOPE}y");
        Assert.Equal("1", flat["a"]);
        Assert.Equal("3", flat["b:1"]);
        Assert.False(flat.ContainsKey("b:2"));
        Assert.Equal("xy", flat["c"]);
    }

    [Fact]
    public void An_optional_environment_override_replaces_a_default_only_when_set()
    {
        const string text = "port = 2181\nport = ${?PORT}";
        Assert.Equal("2181", Flat(text)["port"]);
        Assert.Equal("3000", Flat(text, new Dictionary<string, string> { ["PORT"] = "3000" })["port"]);
    }

    [Fact]
    public void A_field_may_refer_to_its_own_earlier_value()
    {
        var flat = Flat("path = /bin\npath = ${path}\":/usr/bin\"\nobj { p = a }\nobj { p = ${obj.p}b }");
        Assert.Equal("/bin:/usr/bin", flat["path"]);
        Assert.Equal("ab", flat["obj:p"]);
    }

    [Fact]
    public void Quoted_path_segments_in_substitutions_keep_dots() =>
        Assert.Equal("1", Flat("a { \"b.c\" = 1 }\nd = ${a.\"b.c\"}")["d"]);
}
