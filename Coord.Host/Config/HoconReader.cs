using System.Text.RegularExpressions;
using Akka.Configuration;
using AkkaConfig = Akka.Configuration.Config;
using Akka.Configuration.Hocon;

namespace Coord.Host.Config;

/// <summary>
/// Reads HOCON with Akka's parser (<see cref="ConfigurationFactory.ParseString(string, Func{string, HoconRoot})"/>)
/// and turns whatever it cannot read into a <see cref="CoordConfigException"/> that names the file, the line and
/// column where they are known, and what to do.
/// </summary>
/// <remarks>
/// <para><c>include "name"</c> (the only form Akka reads) resolves relative to the file that contains it, nested
/// includes too; a name without an extension also tries <c>name.conf</c>. A missing included file is an error:
/// HOCON would skip it silently, and Akka has no <c>required(...)</c> to ask otherwise, so a mistyped name would
/// silently drop settings. An include cycle is an error.</para>
/// <para>A substitution in an included file is resolved when that file is read, against that file's own keys
/// (Akka would re-resolve it in the including file under a broken path). The main file is read after
/// reference.conf in one document, so its substitutions see every default.</para>
/// </remarks>
public static partial class HoconReader
{
    /// <summary>Reads <paramref name="path"/> as the continuation of <paramref name="baseText"/>, so that
    /// <c>${coord.tick-ms}</c> in the file resolves against the defaults: Akka resolves a substitution within one
    /// parse only, never into a <c>WithFallback</c> config. Fields in the file override those of the base.</summary>
    public static AkkaConfig ReadFile(string path, string baseText)
    {
        var full = Path.GetFullPath(path);
        var prefix = baseText.Length == 0 || baseText.EndsWith('\n') ? baseText : baseText + "\n";
        return Parse(prefix, ReadText(full), full, [full]);
    }

    /// <summary>Reads HOCON text that includes nothing (reference.conf, specs); <paramref name="name"/> is used in errors.</summary>
    public static AkkaConfig ReadString(string text, string name) =>
        Parse("", text, name, [name]);

    private static AkkaConfig Parse(string prefix, string text, string file, IReadOnlyList<string> chain)
    {
        if (HoconBrackets.Check(text) is { } problem) throw new CoordConfigException([$"{file}:{problem}"]);
        try
        {
            return ConfigurationFactory.ParseString(prefix + text, name => Include(name, chain));
        }
        catch (CoordConfigException)
        {
            throw; // from an included file, already naming it
        }
        catch (Exception ex)
        {
            throw new CoordConfigException([Explain(ex, file, text, prefix.Length, included: chain.Count > 1)]);
        }
    }

    private static HoconRoot Include(string name, IReadOnlyList<string> chain)
    {
        var including = chain[^1];
        var full = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(including) ?? ".", name));
        if (!File.Exists(full) && Path.GetExtension(full).Length == 0 && File.Exists(full + ".conf")) full += ".conf";
        if (!File.Exists(full))
            throw new CoordConfigException([$"{including}: included file not found: {full} (include \"{name}\" is relative to {Path.GetDirectoryName(including)}); create it or remove the include"]);
        if (chain.Contains(full, StringComparer.Ordinal))
            throw new CoordConfigException([$"{including}: include cycle {string.Join(" -> ", chain.Append(full))}; remove one of these includes"]);
        var included = Parse("", ReadText(full), full, [.. chain, full]);
        // Without its substitutions: they are resolved already, and Akka would re-resolve them under a path
        // prefixed with "." when the include is at the top level, which finds nothing.
        return new HoconRoot(included.Root);
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new CoordConfigException([$"cannot read config file {path}: {ex.Message}"]);
        }
    }

    /// <summary>Akka's messages carry no file and rarely a line; this adds both where it can and says what to do.</summary>
    private static string Explain(Exception ex, string file, string text, int offset, bool included)
    {
        var message = ex.Message;
        if (UnknownToken().Match(message) is { Success: true } token
            && int.TryParse(token.Groups[1].ValueSpan, out var at) && at - offset is var i && i >= 0 && i < text.Length)
        {
            var (line, column) = LineColumn(text, i);
            if (text[i] == ',' && text[..i].TrimEnd() is { Length: > 0 } before && before[^1] == '}')
                return $"{file}:{line}:{column}: Akka's HOCON parser takes no ',' after an object's closing '}}'; "
                    + "separate the fields with a new line or a space instead (members { 1 { ... } 2 { ... } })";
            return $"{file}:{line}:{column}: Akka's HOCON parser cannot read '{text[i]}' here; check this line (a key needs '=', ':' or '{{' before its value, and a value with special characters needs double quotes)";
        }
        if (message.StartsWith("Unresolved substitution:", StringComparison.Ordinal))
        {
            var path = message["Unresolved substitution:".Length..].Trim();
            if (included)
                return $"{file}: ${{{path}}} names no key of this file; a substitution in an included file can refer only to keys "
                    + "set in that same file (Akka's HOCON parser resolves each file on its own): set the key there, or move the line to the including file";
            return $"{file}: ${{{path}}} names no key of this file" + (offset > 0 ? " or of reference.conf" : "")
                + "; a substitution refers to a key (${coord.tick-ms}), not to an environment variable: Akka's HOCON parser reads none."
                + " Override a coord key with its COORD_ environment variable (COORD_CLIENT__PORT=2182) instead";
        }
        if (message.StartsWith("Unknown escape code:", StringComparison.Ordinal))
            return $"{file}: invalid escape '\\{message["Unknown escape code:".Length..].Trim()}' in a quoted string; write \\\\ for a backslash";
        if (message.Contains("assignment character", StringComparison.Ordinal))
            return $"{file}: a value contains ':' or '=' without quotes; put it in double quotes (url = \"http://host:8080\"), or use {{ }} for an object";
        return $"{file}: Akka's HOCON parser could not read the file: {message}";
    }

    private static (int Line, int Column) LineColumn(string text, int index)
    {
        var line = 1;
        var lineStart = 0;
        for (var i = 0; i < index; i++)
        {
            if (text[i] != '\n') continue;
            line++;
            lineStart = i + 1;
        }
        return (line, index - lineStart + 1);
    }

    [GeneratedRegex(@"^Unknown token at position (\d+)")]
    private static partial Regex UnknownToken();
}
