using static Coord.Host.Specs.Config.Hocon;

namespace Coord.Host.Specs.Config;

/// <summary>Every error names file, line and column and says what was expected.</summary>
public class HoconErrorSpecs
{
    [Theory]
    [InlineData("a {\n  b = 1\n", 3, 1, "expected '}' to close the object opened at 1:3, found end of file")]
    [InlineData("a = [1, 2", 1, 10, "expected ']' to close the array opened at 1:5")]
    [InlineData("a = \"open\nb = 1", 1, 5, "unterminated quoted string")]
    [InlineData("a = \"bad \\q\"", 1, 11, "invalid escape '\\q'")]
    [InlineData("a\n= 1", 1, 2, "expected '=', ':' or '{' after key 'a', found end of line")]
    [InlineData("a = 1 b = 2", 1, 9, "expected ',' or a new line after a value, found '='")]
    [InlineData("x {\n  url = http://host\n}", 2, 13, "quote values that contain ':' or '='")]
    [InlineData("a = ", 1, 5, "expected a value for key 'a', found end of file")]
    [InlineData("a = @", 1, 5, "unexpected character '@'")]
    [InlineData("a..b = 1", 1, 1, "expected a name before '.'")]
    [InlineData(", a = 1", 1, 1, "expected a key, found ','")]
    [InlineData("a = \"\"\"never closed", 1, 5, "unterminated triple-quoted string")]
    [InlineData("a = ${", 1, 5, "unterminated substitution")]
    [InlineData("[1, 2]", 1, 1, "expected an object at the root")]
    [InlineData("{ a = 1 } b", 1, 11, "expected end of file")]
    public void Parse_errors_carry_line_column_and_expectation(string text, int line, int column, string expected)
    {
        var error = ParseError(text);
        Assert.Equal(("test.conf", line, column), (error.Position.File, error.Position.Line, error.Position.Column));
        Assert.Contains(expected, error.Message);
        Assert.StartsWith($"test.conf:{line}:{column}: ", error.Message);
    }

    [Fact]
    public void An_unresolved_substitution_says_where_and_what_it_looked_for()
    {
        var error = ParseError("a {\n  b = ${missing.path}\n}");
        Assert.Equal((2, 7), (error.Position.Line, error.Position.Column));
        Assert.Contains("could not resolve substitution ${missing.path}", error.Message);
        Assert.Contains("${?missing.path}", error.Message);
    }

    [Fact]
    public void A_substitution_cycle_is_reported_not_looped()
    {
        var error = ParseError("a = ${b}\nb = ${a}");
        Assert.Contains("substitution cycle", error.Message);
    }

    [Fact]
    public void Concatenating_an_object_with_a_string_is_an_error()
    {
        var error = ParseError("o { x = 1 }\na = ${o} text");
        Assert.Contains("cannot concatenate object with string 'text'", error.Message);
        Assert.Equal((2, 10), (error.Position.Line, error.Position.Column));
    }
}
