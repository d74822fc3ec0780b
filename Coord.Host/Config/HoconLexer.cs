using System.Globalization;
using System.Text;

namespace Coord.Host.Config;

internal enum HoconTokenKind
{
    Eof, Newline, Whitespace, Comma, Separator, PlusEquals,
    OpenBrace, CloseBrace, OpenBracket, CloseBracket,
    QuotedString, Unquoted, Substitution,
}

/// <summary>For strings, <see cref="Text"/> is the decoded content; for substitutions, the path expression.</summary>
internal readonly record struct HoconToken(HoconTokenKind Kind, string Text, HoconPosition Position, bool Optional = false)
{
    public string Describe() => Kind switch
    {
        HoconTokenKind.Eof => "end of file",
        HoconTokenKind.Newline => "end of line",
        HoconTokenKind.Whitespace => "whitespace",
        HoconTokenKind.QuotedString => $"string \"{Text}\"",
        HoconTokenKind.Unquoted => $"'{Text}'",
        HoconTokenKind.Substitution => $"substitution ${{{Text}}}",
        _ => $"'{Text}'",
    };
}

/// <summary>
/// Splits HOCON text into tokens. Whitespace and newlines are tokens because HOCON gives them
/// meaning: a newline separates fields, and whitespace between values is kept in concatenations.
/// Comments vanish here but the newline that ends them stays.
/// </summary>
internal sealed class HoconLexer(string text, string file)
{
    // HOCON reserves these outside quotes so that future syntax stays possible.
    private const string Forbidden = "$\"{}[]:=,+#`^?!@*&\\";

    private int index;
    private int line = 1;
    private int column = 1;

    public static List<HoconToken> Tokenize(string text, string file)
    {
        var lexer = new HoconLexer(text, file);
        var tokens = new List<HoconToken>();
        while (true)
        {
            var token = lexer.Next();
            tokens.Add(token);
            if (token.Kind == HoconTokenKind.Eof) return tokens;
        }
    }

    private HoconPosition Here => new(file, line, column);
    private char Peek(int ahead = 0) => index + ahead < text.Length ? text[index + ahead] : '\0';
    private bool AtEnd => index >= text.Length;

    private char Advance()
    {
        var c = text[index++];
        if (c == '\n') { line++; column = 1; } else column++;
        return c;
    }

    private static bool IsWhitespace(char c) => c != '\n' && (char.IsWhiteSpace(c) || c == '\uFEFF');

    private HoconToken Next()
    {
        if (AtEnd) return new(HoconTokenKind.Eof, "", Here);
        var start = Here;
        var c = Peek();
        if (c == '#' || (c == '/' && Peek(1) == '/'))
        {
            while (!AtEnd && Peek() != '\n') Advance();
            return Next();
        }
        if (c == '\n') { Advance(); return new(HoconTokenKind.Newline, "\n", start); }
        if (IsWhitespace(c))
        {
            var sb = new StringBuilder();
            while (!AtEnd && IsWhitespace(Peek())) sb.Append(Advance());
            return new(HoconTokenKind.Whitespace, sb.ToString(), start);
        }
        switch (c)
        {
            case '{': Advance(); return new(HoconTokenKind.OpenBrace, "{", start);
            case '}': Advance(); return new(HoconTokenKind.CloseBrace, "}", start);
            case '[': Advance(); return new(HoconTokenKind.OpenBracket, "[", start);
            case ']': Advance(); return new(HoconTokenKind.CloseBracket, "]", start);
            case ',': Advance(); return new(HoconTokenKind.Comma, ",", start);
            case '=': case ':': Advance(); return new(HoconTokenKind.Separator, c.ToString(), start);
            case '+' when Peek(1) == '=': Advance(); Advance(); return new(HoconTokenKind.PlusEquals, "+=", start);
            case '"' when Peek(1) == '"' && Peek(2) == '"': return TripleQuoted(start);
            case '"': return Quoted(start);
            case '$': return Substitution(start);
        }
        if (Forbidden.Contains(c))
            throw new HoconException(start, $"unexpected character '{c}'; put values containing {Forbidden} in double quotes");
        return Unquoted(start);
    }

    private HoconToken Unquoted(HoconPosition start)
    {
        var sb = new StringBuilder();
        while (!AtEnd)
        {
            var c = Peek();
            if (c == '\n' || IsWhitespace(c) || Forbidden.Contains(c) || (c == '/' && Peek(1) == '/')) break;
            sb.Append(Advance());
        }
        return new(HoconTokenKind.Unquoted, sb.ToString(), start);
    }

    private HoconToken Quoted(HoconPosition start)
    {
        Advance();
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd || Peek() == '\n')
                throw new HoconException(start, "unterminated quoted string: expected a closing '\"' on the same line (use \"\"\" for multi-line strings)");
            var c = Advance();
            if (c == '"') return new(HoconTokenKind.QuotedString, sb.ToString(), start);
            if (c != '\\') { sb.Append(c); continue; }
            var escapeAt = Here;
            if (AtEnd) throw new HoconException(escapeAt, "expected an escape character after '\\'");
            var e = Advance();
            switch (e)
            {
                case '"': sb.Append('"'); break;
                case '\\': sb.Append('\\'); break;
                case '/': sb.Append('/'); break;
                case 'b': sb.Append('\b'); break;
                case 'f': sb.Append('\f'); break;
                case 'n': sb.Append('\n'); break;
                case 'r': sb.Append('\r'); break;
                case 't': sb.Append('\t'); break;
                case 'u':
                    var hex = index + 4 <= text.Length ? text.Substring(index, 4) : "";
                    if (!ushort.TryParse(hex, NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var code))
                        throw new HoconException(escapeAt, "expected four hex digits after '\\u'");
                    for (var i = 0; i < 4; i++) Advance();
                    sb.Append((char)code);
                    break;
                default:
                    throw new HoconException(escapeAt, $"invalid escape '\\{e}': expected one of \\\" \\\\ \\/ \\b \\f \\n \\r \\t \\uXXXX");
            }
        }
    }

    private HoconToken TripleQuoted(HoconPosition start)
    {
        Advance(); Advance(); Advance();
        var sb = new StringBuilder();
        while (true)
        {
            if (AtEnd) throw new HoconException(start, "unterminated triple-quoted string: expected a closing \"\"\"");
            if (Peek() == '"' && Peek(1) == '"' && Peek(2) == '"')
            {
                // A run of more than three quotes ends with the last three; the extras are content.
                while (Peek(3) == '"') sb.Append(Advance());
                Advance(); Advance(); Advance();
                return new(HoconTokenKind.QuotedString, sb.ToString(), start);
            }
            sb.Append(Advance());
        }
    }

    private HoconToken Substitution(HoconPosition start)
    {
        Advance();
        if (Peek() != '{') throw new HoconException(start, "expected '{' after '$' (a substitution is written ${path})");
        Advance();
        var optional = false;
        if (Peek() == '?') { optional = true; Advance(); }
        var sb = new StringBuilder();
        var inQuotes = false;
        while (true)
        {
            if (AtEnd || Peek() == '\n') throw new HoconException(start, "unterminated substitution: expected '}'");
            var c = Advance();
            if (c == '"') inQuotes = !inQuotes;
            else if (c == '}' && !inQuotes) break;
            sb.Append(c);
        }
        var expression = sb.ToString().Trim();
        if (expression.Length == 0) throw new HoconException(start, "empty substitution: expected a path inside ${}");
        return new(HoconTokenKind.Substitution, expression, start, optional);
    }

    /// <summary>Splits <c>a."b.c".d</c> into segments; dots inside quotes belong to the key.</summary>
    public static List<string> SplitPath(string expression, HoconPosition position)
    {
        var segments = new List<string>();
        var sb = new StringBuilder();
        var hasContent = false;
        var inQuotes = false;
        foreach (var c in expression)
        {
            if (c == '"') { inQuotes = !inQuotes; hasContent = true; continue; }
            if (c == '.' && !inQuotes)
            {
                if (!hasContent) throw new HoconException(position, $"empty path segment in '{expression}'");
                segments.Add(sb.ToString());
                sb.Clear();
                hasContent = false;
                continue;
            }
            sb.Append(c);
            hasContent = true;
        }
        if (inQuotes) throw new HoconException(position, $"unterminated quote in path '{expression}'");
        if (!hasContent) throw new HoconException(position, $"empty path segment in '{expression}'");
        segments.Add(sb.ToString());
        return segments;
    }
}
