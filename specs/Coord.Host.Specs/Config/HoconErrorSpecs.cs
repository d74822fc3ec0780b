using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>
/// A file Akka's parser cannot read, or would read other than written, stops the start with the file, the line
/// and column where known, and what to do.
/// </summary>
public class HoconErrorSpecs
{
    [Theory]
    [InlineData("coord {\n  tick-ms = 1000\n", "1:7: the '{' opened here is never closed; add the '}' that ends it")]
    [InlineData("coord { client { port = 1 } }\n}\ncoord.data-dir = /srv", "2:1: '}' closes nothing (Akka's parser would ignore the rest of the file)")]
    [InlineData("coord.four-letter-words.whitelist = [ruok, mntr}", "1:48: '}' does not close the '[' opened at 1:37")]
    [InlineData("coord.data-dir = \"/srv\ncoord.client.port = 5", "1:18: the quoted string opened here is not closed on its line")]
    [InlineData("coord.data-dir = \"\"\"/srv", "1:18: the triple-quoted string opened here is never closed")]
    [InlineData("coord.data-dir = ${", "1:18: the substitution opened here is not closed on its line")]
    [InlineData("coord.four-letter-words.whitelist = [ruok]\ncoord.four-letter-words.whitelist += mntr", "2:35: '+=' is not supported by Akka's HOCON parser")]
    [InlineData("coord {\n  url = http://host\n}", "2:13: a value contains ':' without quotes ('//' would start a comment); put it in double quotes")]
    [InlineData("coord.data-dir = # later\ncoord.client.port = 5", "1:16: '=' has no value after it on its line")]
    [InlineData("coord {\n  client {\n    port = @\n  }\n}", "3:12: Akka's HOCON parser cannot read '@' here")]
    [InlineData("# comment\n, coord.tick-ms = 1", "2:1: Akka's HOCON parser cannot read ',' here")]
    public void Errors_name_the_file_line_and_column(string text, string expected)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", text);
        Assert.StartsWith($"{file}:{expected}", LoadError(file));
    }

    [Theory]
    [InlineData("coord.client.host = localhost:2181", "a value contains ':' or '=' without quotes; put it in double quotes")]
    [InlineData("coord.data-dir = \"bad \\q\"", "invalid escape '\\q' in a quoted string")]
    [InlineData("coord.data-dir = [a] text", "coord.data-dir joins text and a list in one value")]
    public void Errors_without_a_position_name_the_file_and_what_to_do(string text, string expected)
    {
        using var dir = new TempDir();
        var file = dir.Write("coord.conf", text);
        var error = LoadError(file);
        Assert.StartsWith(file + ": ", error);
        Assert.Contains(expected, error);
    }

    [Fact]
    public void Brackets_and_quotes_inside_strings_and_comments_are_text()
    {
        var flat = Flat("a = \"{ [ ${x} # \\\" \" # } ]\nb = \"\"\"}\n]\"\"\" // {\nc = 1");
        Assert.Equal("{ [ ${x} # \"", flat["a"]);
        Assert.Equal("}\n]", flat["b"]);
        Assert.Equal("1", flat["c"]);
    }
}
