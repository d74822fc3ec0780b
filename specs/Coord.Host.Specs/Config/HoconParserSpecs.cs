using Coord.Host.Config;
using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

public class HoconParserSpecs
{
    [Fact]
    public void Objects_nest_with_braces_and_dotted_keys_alike()
    {
        var flat = Flat("a { b { c = 1 } }\nx.y.z = 2");
        Assert.Equal("1", flat["a:b:c"]);
        Assert.Equal("2", flat["x:y:z"]);
    }

    [Theory]
    [InlineData("a = 1")]
    [InlineData("a : 1")]
    [InlineData("a=1")]
    [InlineData("a:1")]
    [InlineData("{ a = 1 }")]
    public void Equals_and_colon_both_separate_and_root_braces_are_optional(string text) =>
        Assert.Equal("1", Flat(text)["a"]);

    [Fact]
    public void No_separator_is_needed_before_an_object() =>
        Assert.Equal("1", Flat("a.b { c = 1 }")["a:b:c"]);

    [Fact]
    public void Repeated_object_keys_merge_and_later_scalars_win()
    {
        var flat = Flat("""
            a { x = 1, y = 2 }
            a { y = 3, z = 4 }
            a.w = 5
            b = 1
            b = 2
            """);
        Assert.Equal(new string?[] { "1", "3", "4", "5" }, new[] { flat["a:x"], flat["a:y"], flat["a:z"], flat["a:w"] });
        Assert.Equal("2", flat["b"]);
    }

    [Fact]
    public void A_scalar_replaces_an_object_and_an_object_replaces_a_scalar()
    {
        var flat = Flat("a { x = 1 }\na = 7\nb = 7\nb { y = 1 }");
        Assert.Equal("7", flat["a"]);
        Assert.False(flat.ContainsKey("a:x"));
        Assert.Equal("1", flat["b:y"]);
        Assert.False(flat.ContainsKey("b"));
    }

    [Fact]
    public void Arrays_flatten_by_index_with_commas_or_newlines()
    {
        var flat = Flat("a = [1, \"two\",\n  three\n  [4]\n  { five = 5 }, ]\nempty = []");
        Assert.Equal("1", flat["a:0"]);
        Assert.Equal("two", flat["a:1"]);
        Assert.Equal("three", flat["a:2"]);
        Assert.Equal("4", flat["a:3:0"]);
        Assert.Equal("5", flat["a:4:five"]);
        Assert.Equal("", flat["empty"]);
    }

    [Fact]
    public void Quoted_strings_decode_escapes()
    {
        var flat = Flat("""a = "tab\there \"q\" back\\slash \u00e9 \/ nl\n" """);
        Assert.Equal("tab\there \"q\" back\\slash é / nl\n", flat["a"]);
    }

    [Fact]
    public void Quoted_keys_keep_their_dots() =>
        Assert.Equal("1", Flat("a.\"b.c\".d = 1")["a:b.c:d"]);

    [Fact]
    public void Triple_quoted_strings_are_raw_and_span_lines()
    {
        var flat = Flat("a = \"\"\"line1\n  \\n \"quoted\" \"\"\"\nb = \"\"\"x\"\"\"\"");
        Assert.Equal("line1\n  \\n \"quoted\" ", flat["a"]);
        Assert.Equal("x\"", flat["b"]);
    }

    [Fact]
    public void Unquoted_values_keep_inner_whitespace_and_durations_stay_strings()
    {
        var flat = Flat("a = hello world  \nb = 10s\nc = 512 MiB // comment\nd = foo.bar-baz");
        Assert.Equal("hello world", flat["a"]);
        Assert.Equal("10s", flat["b"]);
        Assert.Equal("512 MiB", flat["c"]);
        Assert.Equal("foo.bar-baz", flat["d"]);
    }

    [Fact]
    public void Numbers_booleans_and_null_keep_their_kind()
    {
        var tree = HoconParser.Parse("n = -1.5e3\ni = 42\nt = true\nf = false\nz = null\ns = \"42\"");
        HoconScalarKind Kind(string k) => Assert.IsType<HoconScalar>(tree.Find([k])).Kind;
        Assert.Equal(HoconScalarKind.Number, Kind("n"));
        Assert.Equal(HoconScalarKind.Number, Kind("i"));
        Assert.Equal(HoconScalarKind.Boolean, Kind("t"));
        Assert.Equal(HoconScalarKind.Boolean, Kind("f"));
        Assert.Equal(HoconScalarKind.Null, Kind("z"));
        Assert.Equal(HoconScalarKind.String, Kind("s"));
        var flat = Flat("z = null\nn = -1.5e3");
        Assert.True(flat.ContainsKey("z"));
        Assert.Null(flat["z"]);
        Assert.Equal("-1.5e3", flat["n"]);
    }

    [Fact]
    public void Hash_and_double_slash_comments_are_ignored_but_end_lines()
    {
        var flat = Flat("# top\na = 1 # trailing\n// whole line\nb = 2 // trailing\nc = \"# not a comment\"");
        Assert.Equal("1", flat["a"]);
        Assert.Equal("2", flat["b"]);
        Assert.Equal("# not a comment", flat["c"]);
    }

    [Fact]
    public void Commas_and_newlines_both_separate_fields()
    {
        var flat = Flat("a = 1, b = 2\nc = 3,\nd { e = 4, f = 5 }");
        Assert.Equal(new string?[] { "1", "2", "3", "4", "5" }, new[] { flat["a"], flat["b"], flat["c"], flat["d:e"], flat["d:f"] });
    }

    [Fact]
    public void Plus_equals_appends_to_an_array()
    {
        var flat = Flat("a = [1]\na += 2\nb += x");
        Assert.Equal("1", flat["a:0"]);
        Assert.Equal("2", flat["a:1"]);
        Assert.Equal("x", flat["b:0"]);
    }

    [Fact]
    public void Arrays_concatenate_and_objects_merge_when_adjacent()
    {
        var flat = Flat("a = [1] [2]\nbase { x = 1, y = 1 }\nderived = ${base} { y = 2 }");
        Assert.Equal("2", flat["a:1"]);
        Assert.Equal("1", flat["derived:x"]);
        Assert.Equal("2", flat["derived:y"]);
        Assert.Equal("1", flat["base:y"]);
    }

    [Fact]
    public void Fallback_merges_trees_with_the_overriding_side_winning()
    {
        var reference = HoconParser.Parse("a { x = 1, y = 1, list = [1, 2, 3] }");
        var user = HoconParser.Parse("a { y = 2, list = [9] }");
        var flat = HoconFlattener.Flatten(HoconResolver.Resolve(user.WithFallback(reference)));
        Assert.Equal("1", flat["a:x"]);
        Assert.Equal("2", flat["a:y"]);
        Assert.Equal("9", flat["a:list:0"]);
        Assert.False(flat.ContainsKey("a:list:1"));
    }
}
