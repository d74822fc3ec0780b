using System.Text;
using AkkaConfig = Akka.Configuration.Config;
using Akka.Configuration.Hocon;

namespace Coord.Host.Config;

/// <summary>
/// Akka's parsed tree → Microsoft.Extensions.Configuration keys: <c>a { b = 1 }</c> becomes <c>a:b = "1"</c>, a
/// list becomes <c>key:0</c>, <c>key:1</c>, and an empty list the empty string at its key, so "no items" differs
/// from "not set" (the binder reads a scalar at a list key as a comma-separated list). <c>null</c> stays null.
/// </summary>
/// <remarks>
/// Walking the tree ourselves, instead of asking Akka for values, is also a guard: it refuses what Akka's parser
/// (1.5) accepts but cannot evaluate. A substitution cycle or a field defined from its own value sends Akka into
/// endless recursion (a stack overflow ends the process without a word); <c>${?VAR}</c> and <c>${}</c> are read
/// as the whole document; <c>include required(...)</c> and friends become keys. Every problem is collected, then
/// thrown together as one <see cref="CoordConfigException"/>. The whole document is walked, <c>akka { }</c> too,
/// so the Config the server hands to its ActorSystem is known to be safe to read.
/// </remarks>
public static class HoconKeys
{
    /// <summary>Deeper nesting than any real configuration; a bound so a pathological tree is an error, not a crash.</summary>
    public const int DepthMax = 64;

    /// <param name="source">The file the tree was read from, for messages.</param>
    public static Dictionary<string, string?> Flatten(AkkaConfig config, string source)
    {
        var walker = new Walker(source);
        foreach (var root in config.Root.Values.OfType<HoconObject>()) walker.Object("", root, 0);
        if (walker.Errors.Count > 0) throw new CoordConfigException(walker.Errors);
        return walker.Data;
    }

    private sealed class Walker(string source)
    {
        public Dictionary<string, string?> Data { get; } = new(StringComparer.OrdinalIgnoreCase);
        public List<string> Errors { get; } = [];

        /// <summary>The substitutions being expanded on the way to the current value; meeting one again is a cycle.</summary>
        private readonly List<HoconSubstitution> _resolving = [];

        public void Object(string prefix, HoconObject obj, int depth)
        {
            foreach (var (key, value) in obj.Items)
            {
                var path = prefix.Length == 0 ? key : prefix + ":" + key;
                if (IsIncludeForm(key))
                {
                    Errors.Add($"{source}: only include \"file\" is supported (Akka's HOCON parser reads required(...), file(...), url(...), classpath(...) and single quotes as a key); write include \"name.conf\"");
                    continue;
                }
                Value(path, value, depth + 1);
            }
        }

        /// <summary>
        /// One value is a list of parts written side by side (<c>${dir}/data</c>); substitutions are expanded in
        /// place, and the parts must all be text, all lists or all objects. Objects and lists are walked while the
        /// substitutions that led to them are still on <see cref="_resolving"/>, so a cycle through them is seen.
        /// </summary>
        private void Value(string path, HoconValue value, int depth)
        {
            if (depth > DepthMax)
            {
                Errors.Add($"{source}: {Dotted(path)} is nested deeper than {DepthMax} levels");
                return;
            }
            var parts = new Parts();
            if (!Expand(path, value, depth, parts)) return;
            // Whitespace between lists or objects written side by side ([1] [2]) joins nothing.
            if (parts.Kinds != Kind.Text && string.IsNullOrWhiteSpace(parts.Text.ToString())) parts.Kinds &= ~Kind.Text;
            if (parts.Kinds == Kind.None)
                Errors.Add($"{source}: {Dotted(path)} has no value; write one after '=' or remove the key");
            else if (parts.Kinds is not (Kind.Text or Kind.List or Kind.Object))
                Errors.Add($"{source}: {Dotted(path)} joins {parts.Describe()} in one value; a value is text, a list [...] or an object {{...}}");
            else if (parts.Kinds == Kind.Text)
            {
                // As Akka's own GetString: the parts joined and trimmed, and the word null is no value.
                var text = parts.Text.ToString().Trim();
                Data[path] = text == "null" ? null : text;
            }
            else if (parts.Kinds == Kind.List && parts.Items == 0)
                Data[path] = "";
        }

        /// <returns>False when a substitution could not be expanded (the error is recorded).</returns>
        private bool Expand(string path, HoconValue value, int depth, Parts parts)
        {
            foreach (var element in value.Values)
            {
                switch (element)
                {
                    case HoconSubstitution sub:
                        if (sub.Path.Length == 0 || sub.Path.StartsWith('?'))
                        {
                            Errors.Add($"{source}: {Dotted(path)}: optional and environment substitutions (${{?NAME}}) are not supported by Akka's HOCON parser; "
                                + (path.StartsWith("coord:", StringComparison.OrdinalIgnoreCase)
                                    ? $"set this key with the environment variable {ConfigLoader.EnvironmentName(path)} instead"
                                    : "write the value itself"));
                            return false;
                        }
                        if (_resolving.Contains(sub))
                        {
                            Errors.Add($"{source}: {Dotted(path)}: ${{{sub.Path}}} refers back to itself through "
                                + string.Join(" -> ", _resolving.Select(s => $"${{{s.Path}}}")) + "; a key cannot be defined from its own value (Akka's HOCON parser cannot resolve it), write the value out");
                            return false;
                        }
                        if (sub.ResolvedValue is null)
                        {
                            Errors.Add($"{source}: {Dotted(path)}: ${{{sub.Path}}} names no key");
                            return false;
                        }
                        _resolving.Add(sub);
                        var expanded = Expand(path, sub.ResolvedValue, depth + 1, parts);
                        _resolving.RemoveAt(_resolving.Count - 1);
                        if (!expanded) return false;
                        break;
                    case HoconObject obj:
                        parts.Kinds |= Kind.Object;
                        Object(path, obj, depth);
                        break;
                    case HoconArray list:
                        parts.Kinds |= Kind.List;
                        foreach (var item in list) Value(path + ":" + parts.Items++, item, depth + 1);
                        break;
                    case HoconLiteral literal:
                        parts.Kinds |= Kind.Text;
                        parts.Text.Append(literal.Value);
                        break;
                    default:
                        Errors.Add($"{source}: {Dotted(path)}: unexpected {element.GetType().Name} in Akka's tree");
                        return false;
                }
            }
            return true;
        }
    }

    [Flags]
    private enum Kind { None = 0, Text = 1, List = 2, Object = 4 }

    private sealed class Parts
    {
        public Kind Kinds { get; set; }
        public int Items { get; set; }
        public StringBuilder Text { get; } = new();

        public string Describe() => string.Join(" and ",
            new[] { (Kind.Text, "text"), (Kind.List, "a list"), (Kind.Object, "an object") }
                .Where(k => Kinds.HasFlag(k.Item1)).Select(k => k.Item2));
    }

    private static string Dotted(string key) => SettingsBinder.Dotted(key);

    /// <summary>Akka reads <c>include required("x")</c> as the key <c>include required(</c>, <c>include 'x'</c> likewise.</summary>
    private static bool IsIncludeForm(string key) =>
        key.StartsWith("include", StringComparison.Ordinal) && key.Length > "include".Length
        && key["include".Length] is ' ' or '\t' or '(' or '\'';
}
