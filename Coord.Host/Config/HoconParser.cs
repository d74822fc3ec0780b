using System.Text;
using System.Text.RegularExpressions;

namespace Coord.Host.Config;

/// <summary>
/// Recursive-descent parser from tokens to an unresolved <see cref="HoconObject"/>. Substitutions are
/// left in the tree; <see cref="HoconResolver"/> resolves them once every file has been merged, because
/// a file may refer to keys that only a later file or the fallback defines.
/// </summary>
public sealed partial class HoconParser
{
    private readonly List<HoconToken> tokens;
    private readonly string file;
    private readonly string baseDirectory;
    private readonly IReadOnlyList<string> rootPath;
    private readonly HashSet<string> includeStack;
    private readonly HoconObject root;
    private int index;

    private HoconParser(string text, string file, string baseDirectory, IReadOnlyList<string> rootPath, HashSet<string> includeStack)
    {
        tokens = HoconLexer.Tokenize(text, file);
        this.file = file;
        this.baseDirectory = baseDirectory;
        this.rootPath = rootPath;
        this.includeStack = includeStack;
        root = new HoconObject(new HoconPosition(file, 1, 1));
    }

    /// <summary>Parses text; includes are looked up relative to <paramref name="baseDirectory"/> (default: the current directory).</summary>
    public static HoconObject Parse(string text, string sourceName = "<string>", string? baseDirectory = null) =>
        new HoconParser(text, sourceName, baseDirectory ?? Directory.GetCurrentDirectory(), [], new HashSet<string>(StringComparer.Ordinal)).ParseDocument();

    public static HoconObject ParseFile(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        return ParseFile(full, [], new HashSet<string>(StringComparer.Ordinal));
    }

    private static HoconObject ParseFile(string fullPath, IReadOnlyList<string> rootPath, HashSet<string> includeStack)
    {
        includeStack.Add(fullPath);
        try
        {
            var parser = new HoconParser(File.ReadAllText(fullPath), fullPath, System.IO.Path.GetDirectoryName(fullPath)!, rootPath, includeStack);
            return parser.ParseDocument();
        }
        finally
        {
            includeStack.Remove(fullPath);
        }
    }

    private HoconToken Current => tokens[index];
    private HoconTokenKind Kind => tokens[index].Kind;
    private HoconToken Take() => tokens[index++];

    private void SkipWhitespace()
    {
        while (Kind == HoconTokenKind.Whitespace) index++;
    }

    private void SkipWhitespaceAndNewlines()
    {
        while (Kind is HoconTokenKind.Whitespace or HoconTokenKind.Newline) index++;
    }

    private HoconObject ParseDocument()
    {
        SkipWhitespaceAndNewlines();
        if (Kind == HoconTokenKind.OpenBracket)
            throw new HoconException(Current.Position, "expected an object at the root of the document, found an array");
        if (Kind == HoconTokenKind.OpenBrace)
        {
            var open = Take();
            ParseFields(root, [], open);
            SkipWhitespaceAndNewlines();
            if (Kind != HoconTokenKind.Eof)
                throw new HoconException(Current.Position, $"expected end of file after the root object's '}}', found {Current.Describe()}");
        }
        else
        {
            ParseFields(root, [], null);
        }
        return root;
    }

    /// <summary>
    /// Parses fields into <paramref name="target"/> until '}' (when <paramref name="open"/> is the brace
    /// that opened it) or end of file. <paramref name="localPath"/> is the target's path in this document,
    /// or null inside arrays, where self-references mean nothing.
    /// </summary>
    private void ParseFields(HoconObject target, IReadOnlyList<string>? localPath, HoconToken? open)
    {
        while (true)
        {
            SkipWhitespaceAndNewlines();
            if (Kind == HoconTokenKind.CloseBrace && open is not null) { index++; return; }
            if (Kind == HoconTokenKind.Eof)
            {
                if (open is null) return;
                throw new HoconException(Current.Position, $"expected '}}' to close the object opened at {open.Value.Position.Line}:{open.Value.Position.Column}, found end of file");
            }
            if (Kind == HoconTokenKind.Comma)
                throw new HoconException(Current.Position, "expected a key, found ','");

            if (IsInclude())
                ParseInclude(target, localPath);
            else
                ParseField(target, localPath);

            SkipWhitespace();
            switch (Kind)
            {
                case HoconTokenKind.Comma: index++; break;
                case HoconTokenKind.Newline: break;
                case HoconTokenKind.CloseBrace when open is not null: break;
                case HoconTokenKind.Eof: break;
                case HoconTokenKind.Separator:
                    throw new HoconException(Current.Position, $"expected ',' or a new line after a value, found '{Current.Text}' (quote values that contain ':' or '=')");
                default:
                    throw new HoconException(Current.Position, $"expected ',' or a new line after a value, found {Current.Describe()}");
            }
        }
    }

    /// <summary>"include" is a keyword only when a file name follows, so a key named include still works.</summary>
    private bool IsInclude()
    {
        if (Kind != HoconTokenKind.Unquoted || Current.Text != "include" || tokens[index + 1].Kind != HoconTokenKind.Whitespace) return false;
        var next = tokens[index + 2];
        return next.Kind == HoconTokenKind.QuotedString
            || (next.Kind == HoconTokenKind.Unquoted && next.Text.EndsWith('(') && !next.Text.Contains('.'));
    }

    private void ParseField(HoconObject target, IReadOnlyList<string>? localPath)
    {
        var keyStart = Current;
        var key = ParseKey();
        var keyText = string.Join('.', key);
        SkipWhitespace();
        HoconValue value;
        var fieldPath = localPath is null ? null : localPath.Concat(key).ToList();
        if (Kind == HoconTokenKind.OpenBrace)
        {
            value = ParseObject(fieldPath);
        }
        else if (Kind is HoconTokenKind.Separator or HoconTokenKind.PlusEquals)
        {
            var append = Take().Kind == HoconTokenKind.PlusEquals;
            SkipWhitespaceAndNewlines();
            value = ParseValue(fieldPath, $"for key '{keyText}'");
            if (append)
            {
                // "a += x" is defined as "a = ${?a} [x]".
                var self = new HoconSubstitution(keyStart.Position, keyText, Absolute(fieldPath ?? key), null, optional: true);
                value = new HoconConcatenation(keyStart.Position, [self, new HoconArray(value.Position, [value])]);
            }
        }
        else
        {
            throw new HoconException(Current.Position, $"expected '=', ':' or '{{' after key '{keyText}', found {Current.Describe()}");
        }
        SetField(target, key, value, fieldPath);
    }

    /// <summary>Unquoted parts split on '.', quoted parts are one name: <c>a."b.c".d</c> is [a, b.c, d].</summary>
    private List<string> ParseKey()
    {
        var start = Current;
        if (Kind is not (HoconTokenKind.Unquoted or HoconTokenKind.QuotedString))
            throw new HoconException(start.Position, $"expected a key, found {start.Describe()}");
        var segments = new List<string>();
        var sb = new StringBuilder();
        var hasContent = false;
        while (Kind is HoconTokenKind.Unquoted or HoconTokenKind.QuotedString)
        {
            var t = Take();
            if (t.Kind == HoconTokenKind.QuotedString) { sb.Append(t.Text); hasContent = true; continue; }
            foreach (var c in t.Text)
            {
                if (c != '.') { sb.Append(c); hasContent = true; continue; }
                if (!hasContent) throw new HoconException(t.Position, $"expected a name before '.' in key '{t.Text}'");
                segments.Add(sb.ToString());
                sb.Clear();
                hasContent = false;
            }
        }
        if (!hasContent) throw new HoconException(start.Position, "expected a name after the last '.' in the key");
        segments.Add(sb.ToString());
        return segments;
    }

    private HoconObject ParseObject(IReadOnlyList<string>? path)
    {
        var open = Take();
        var obj = new HoconObject(open.Position);
        ParseFields(obj, path, open);
        return obj;
    }

    private HoconArray ParseArray()
    {
        var open = Take();
        var items = new List<HoconValue>();
        while (true)
        {
            SkipWhitespaceAndNewlines();
            if (Kind == HoconTokenKind.CloseBracket) { index++; return new HoconArray(open.Position, items); }
            if (Kind == HoconTokenKind.Eof)
                throw new HoconException(Current.Position, $"expected ']' to close the array opened at {open.Position.Line}:{open.Position.Column}, found end of file");
            items.Add(ParseValue(null, "in array"));
            SkipWhitespace();
            if (Kind == HoconTokenKind.Comma) index++;
            else if (Kind is not (HoconTokenKind.Newline or HoconTokenKind.CloseBracket or HoconTokenKind.Eof))
                throw new HoconException(Current.Position, $"expected ',', a new line or ']' in the array opened at {open.Position.Line}:{open.Position.Column}, found {Current.Describe()}");
        }
    }

    /// <summary>A value runs to the end of the line, a ',' or a closing bracket; several parts make a concatenation.</summary>
    private HoconValue ParseValue(IReadOnlyList<string>? path, string context)
    {
        var parts = new List<HoconValue>();
        var start = Current;
        while (true)
        {
            var t = Current;
            switch (t.Kind)
            {
                case HoconTokenKind.OpenBrace: parts.Add(ParseObject(path)); continue;
                case HoconTokenKind.OpenBracket: parts.Add(ParseArray()); continue;
                case HoconTokenKind.QuotedString: index++; parts.Add(new HoconScalar(t.Position, t.Text, HoconScalarKind.String, quoted: true)); continue;
                case HoconTokenKind.Unquoted: index++; parts.Add(new HoconScalar(t.Position, t.Text, HoconScalarKind.String)); continue;
                case HoconTokenKind.Substitution: index++; parts.Add(MakeSubstitution(t)); continue;
                case HoconTokenKind.Whitespace:
                    // Whitespace counts only between two values; look past it to decide.
                    var next = tokens[index + 1].Kind;
                    index++;
                    if (parts.Count > 0 && next is HoconTokenKind.OpenBrace or HoconTokenKind.OpenBracket or HoconTokenKind.QuotedString
                        or HoconTokenKind.Unquoted or HoconTokenKind.Substitution)
                        parts.Add(new HoconScalar(t.Position, t.Text, HoconScalarKind.String));
                    continue;
            }
            break;
        }
        if (parts.Count == 0)
            throw new HoconException(start.Position, $"expected a value {context}, found {start.Describe()}");
        if (parts.Count > 1) return new HoconConcatenation(parts[0].Position, parts);
        return parts[0] is HoconScalar { Quoted: false, Text: { } text } s ? Classify(s.Position, text) : parts[0];
    }

    [GeneratedRegex(@"^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE]-?[0-9]+)?$")]
    private static partial Regex NumberPattern();

    private static HoconScalar Classify(HoconPosition position, string text) => text switch
    {
        "true" or "false" => new HoconScalar(position, text, HoconScalarKind.Boolean),
        "null" => new HoconScalar(position, null, HoconScalarKind.Null),
        _ when NumberPattern().IsMatch(text) => new HoconScalar(position, text, HoconScalarKind.Number),
        _ => new HoconScalar(position, text, HoconScalarKind.String),
    };

    private HoconSubstitution MakeSubstitution(HoconToken t)
    {
        var path = HoconLexer.SplitPath(t.Text, t.Position);
        return new HoconSubstitution(t.Position, t.Text, Absolute(path), rootPath.Count > 0 ? path : null, t.Optional);
    }

    private List<string> Absolute(IReadOnlyList<string> localPath) => [.. rootPath, .. localPath];
}
