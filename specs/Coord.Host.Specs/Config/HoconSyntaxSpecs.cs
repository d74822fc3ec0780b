using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>The HOCON that operators write, as Akka's parser reads it and the loader flattens it.</summary>
public class HoconSyntaxSpecs
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
    [InlineData("a.b { c = 1 }\na = 1")]
    public void Equals_and_colon_both_separate_and_root_braces_are_optional(string text) =>
        Assert.Equal("1", Flat(text)["a"]);

    [Fact]
    public void Repeated_object_keys_merge_and_later_scalars_win()
    {
        var flat = Flat("a { x = 1, y = 2 }\na { y = 3, z = 4 }\na.w = 5\nb = 1\nb = 2");
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
    public void Lists_flatten_by_index_and_an_empty_list_is_empty_not_absent()
    {
        var flat = Flat("a = [1, \"two\", three, [4], { five = 5 }]\nempty = []");
        Assert.Equal("1", flat["a:0"]);
        Assert.Equal("two", flat["a:1"]);
        Assert.Equal("three", flat["a:2"]);
        Assert.Equal("4", flat["a:3:0"]);
        Assert.Equal("5", flat["a:4:five"]);
        Assert.Equal("", flat["empty"]);
    }

    [Fact]
    public void Quoted_strings_decode_escapes_and_quoted_keys_keep_their_dots()
    {
        // Akka trims every value, quoted or not, so a trailing "\n" is lost.
        Assert.Equal("tab\there \"q\" back\\slash é\nnl", Flat("""a = "tab\there \"q\" back\\slash \u00e9\nnl\n" """)["a"]);
        Assert.Equal("1", Flat("a.\"b.c\".d = 1")["a:b.c:d"]);
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
    public void Null_is_no_value_and_numbers_keep_their_text()
    {
        var flat = Flat("z = null\nn = -1.5e3");
        Assert.True(flat.ContainsKey("z"));
        Assert.Null(flat["z"]);
        Assert.Equal("-1.5e3", flat["n"]);
    }

    [Fact]
    public void Hash_and_double_slash_comments_are_ignored_and_commas_or_newlines_separate_fields()
    {
        var flat = Flat("# top\na = 1 # trailing\n// whole line\nb = 2 // trailing\nc = \"# not a comment\", d { e = 4, f = 5 }");
        Assert.Equal(new string?[] { "1", "2", "# not a comment", "4", "5" }, new[] { flat["a"], flat["b"], flat["c"], flat["d:e"], flat["d:f"] });
    }
}
