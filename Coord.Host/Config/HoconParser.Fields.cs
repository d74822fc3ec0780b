namespace Coord.Host.Config;

/// <summary>Assigning fields (merge, self-reference) and <c>include</c>.</summary>
public sealed partial class HoconParser
{
    /// <summary>
    /// Sets <paramref name="key"/> (a dotted path) in <paramref name="target"/>. A repeated key merges
    /// when both values are objects and otherwise the later one wins, as the HOCON spec says.
    /// </summary>
    private void SetField(HoconObject target, IReadOnlyList<string> key, HoconValue value, IReadOnlyList<string>? fieldPath)
    {
        if (fieldPath is not null)
        {
            // A field may refer to its own earlier value ("path = ${path}:/x"); splice that value in
            // now, because after the assignment the earlier value is gone and the reference would loop.
            var previous = target.Find(key) ?? root.Find(fieldPath);
            value = SpliceSelfReference(value, Absolute(fieldPath), previous);
        }
        var obj = target;
        for (var i = 0; i < key.Count - 1; i++)
        {
            if (!obj.TryGet(key[i], out var child) || child is not HoconObject childObj)
            {
                childObj = new HoconObject(value.Position);
                obj.Set(key[i], childObj);
            }
            obj = childObj;
        }
        var last = key[^1];
        obj.Set(last, obj.TryGet(last, out var existing) ? HoconObject.Merge(existing, value) : value);
    }

    private static HoconValue SpliceSelfReference(HoconValue value, IReadOnlyList<string> absolutePath, HoconValue? previous)
    {
        switch (value)
        {
            case HoconSubstitution s when s.Path.SequenceEqual(absolutePath):
                if (previous is not null) return previous;
                return new HoconSubstitution(s.Position, s.Expression, s.Path, s.FallbackPath, s.Optional) { EnvironmentOnly = true, Fallback = s.Fallback };
            case HoconConcatenation c:
                var parts = c.Parts.Select(p => SpliceSelfReference(p, absolutePath, previous)).ToList();
                return new HoconConcatenation(c.Position, parts);
            default:
                return value;
        }
    }

    /// <summary>
    /// <c>include "f"</c>, <c>include file("f")</c>, <c>include required("f")</c> or
    /// <c>include required(file("f"))</c>. The path is relative to the including file. A missing
    /// file is skipped unless required, as in the HOCON spec.
    /// </summary>
    private void ParseInclude(HoconObject target, IReadOnlyList<string>? localPath)
    {
        var includeToken = Take();
        SkipWhitespace();
        var prefix = "";
        HoconToken? name = null;
        var suffix = "";
        while (Kind is HoconTokenKind.Unquoted or HoconTokenKind.QuotedString or HoconTokenKind.Whitespace)
        {
            var t = Take();
            if (t.Kind == HoconTokenKind.Whitespace) continue;
            if (t.Kind == HoconTokenKind.QuotedString)
            {
                if (name is not null) throw new HoconException(t.Position, "expected one quoted file name in include, found a second string");
                name = t;
            }
            else if (name is null) prefix += t.Text;
            else suffix += t.Text;
        }
        if (name is null)
            throw new HoconException(Current.Position, $"expected a quoted file name after 'include', found {Current.Describe()}");
        var required = prefix is "required(" or "required(file(";
        var wrapped = prefix is "" or "file(" or "required(" or "required(file(";
        if (!wrapped)
            throw new HoconException(includeToken.Position, $"expected include \"file\", file(\"file\") or required(\"file\"), found '{prefix}' (url() and classpath() are not supported)");
        var closing = new string(')', prefix.Count(c => c == '('));
        if (suffix != closing)
            throw new HoconException(name.Value.Position, $"expected '{closing}' after the included file name, found '{suffix}'");

        var path = Path.GetFullPath(Path.Combine(baseDirectory, name.Value.Text));
        if (!File.Exists(path) && Path.GetExtension(path).Length == 0 && File.Exists(path + ".conf")) path += ".conf";
        if (!File.Exists(path))
        {
            if (required) throw new HoconException(name.Value.Position, $"included file not found: {path}");
            return;
        }
        if (includeStack.Contains(path))
            throw new HoconException(name.Value.Position, $"include cycle: {path} includes itself through {file}");

        var where = localPath is null ? rootPath : Absolute(localPath);
        var included = ParseFile(path, where, includeStack);
        foreach (var (k, v) in included.Fields)
            target.Set(k, target.TryGet(k, out var existing) ? HoconObject.Merge(existing, v) : v);
    }
}
