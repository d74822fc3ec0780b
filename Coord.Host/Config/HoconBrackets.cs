namespace Coord.Host.Config;

/// <summary>
/// The checks Akka's HOCON parser (1.5) does not make, run on a file's text before Akka reads it. Akka accepts an
/// unclosed <c>{</c>, silently ignores everything after a stray <c>}</c>, lets a quoted string run on over the
/// following lines, overflows the stack (ending the process without a message) on an unclosed <c>${</c>, and
/// ignores <c>+=</c>; each would start a server with settings its operator never wrote.
/// </summary>
/// <remarks>
/// This is a scan, not a parser: it skips comments and strings, pairs brackets, and reports the first problem
/// with its line and column. What the text means is Akka's business.
/// </remarks>
internal static class HoconBrackets
{
    /// <returns>The first problem as <c>line:column: what; what to do</c>, or null when the text is well formed.</returns>
    public static string? Check(string text)
    {
        var open = new Stack<(char Bracket, int Line, int Column)>();
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            var column = i - lineStart + 1;
            switch (c)
            {
                case '\n':
                    line++;
                    lineStart = i + 1;
                    break;
                case '#':
                case '/' when At(text, i, "//"):
                    i = EndOfLine(text, i) - 1;
                    break;
                case '"' when At(text, i, "\"\"\""):
                {
                    var close = text.IndexOf("\"\"\"", i + 3, StringComparison.Ordinal);
                    if (close < 0)
                        return $"{line}:{column}: the triple-quoted string opened here is never closed; end it with \"\"\"";
                    // """x"""" ends with the last three quotes, as in HOCON.
                    while (close + 3 < text.Length && text[close + 3] == '"') close++;
                    for (var j = i; j < close; j++)
                    {
                        if (text[j] != '\n') continue;
                        line++;
                        lineStart = j + 1;
                    }
                    i = close + 2;
                    break;
                }
                case '"':
                {
                    var j = i + 1;
                    while (j < text.Length && text[j] is not ('"' or '\n')) j += text[j] == '\\' ? 2 : 1;
                    if (j >= text.Length || text[j] != '"')
                        return $"{line}:{column}: the quoted string opened here is not closed on its line; end it with \"";
                    i = j;
                    break;
                }
                case '$' when At(text, i, "${"):
                {
                    var end = text.IndexOfAny(['}', '\n'], i + 2);
                    if (end < 0 || text[end] != '}')
                        return $"{line}:{column}: the substitution opened here is not closed on its line; write ${{path.to.key}}";
                    i = end;
                    break;
                }
                case ':' when At(text, i + 1, "//"):
                    return $"{line}:{column}: a value contains ':' without quotes ('//' would start a comment); put it in double quotes: url = \"http://host:8080\"";
                case '=' or ':' when NothingFollows(text, i + 1):
                    return $"{line}:{column}: '{c}' has no value after it on its line (Akka's parser would take the next line's key as the value); write key = value on one line";
                case '+' when At(text, i, "+="):
                    return $"{line}:{column}: '+=' is not supported by Akka's HOCON parser (it would be ignored); write the whole list: key = [a, b]";
                case '{' or '[':
                    open.Push((c, line, column));
                    break;
                case '}' or ']':
                {
                    if (open.Count == 0)
                        return $"{line}:{column}: '{c}' closes nothing (Akka's parser would ignore the rest of the file); remove it or add the '{Opener(c)}' it was meant to close";
                    var (bracket, openLine, openColumn) = open.Pop();
                    if (bracket != Opener(c))
                        return $"{line}:{column}: '{c}' does not close the '{bracket}' opened at {openLine}:{openColumn}; close that with '{Closer(bracket)}' first";
                    break;
                }
            }
        }
        if (open.Count == 0) return null;
        var (unclosed, l, col) = open.Peek();
        return $"{l}:{col}: the '{unclosed}' opened here is never closed; add the '{Closer(unclosed)}' that ends it";
    }

    /// <summary>Only spaces, tabs or a comment between <paramref name="i"/> and the end of its line.</summary>
    private static bool NothingFollows(string text, int i)
    {
        while (i < text.Length && text[i] is ' ' or '\t' or '\r') i++;
        return i >= text.Length || text[i] is '\n' or '#' || At(text, i, "//");
    }

    private static bool At(string text, int i, string token) => string.CompareOrdinal(text, i, token, 0, token.Length) == 0;

    private static int EndOfLine(string text, int i)
    {
        var end = text.IndexOf('\n', i);
        return end < 0 ? text.Length : end;
    }

    private static char Opener(char closer) => closer == '}' ? '{' : '[';
    private static char Closer(char opener) => opener == '{' ? '}' : ']';
}
