namespace Coord.Host.Config;

/// <summary>Where a token or value came from; every parse and resolve error carries one.</summary>
public readonly record struct HoconPosition(string File, int Line, int Column)
{
    public override string ToString() => $"{File}:{Line}:{Column}";
}

/// <summary>A parse or resolve failure. The message always starts with file:line:column.</summary>
public sealed class HoconException(HoconPosition position, string problem)
    : Exception($"{position}: {problem}")
{
    public HoconPosition Position { get; } = position;
    public string Problem { get; } = problem;
}

/// <summary>
/// A node of the HOCON tree. Parsing produces objects, arrays, scalars, substitutions and
/// concatenations; <see cref="HoconResolver"/> turns that into objects, arrays and scalars only.
/// </summary>
public abstract class HoconValue(HoconPosition position)
{
    public HoconPosition Position { get; } = position;
}

public enum HoconScalarKind { String, Number, Boolean, Null }

/// <summary>
/// Numbers, booleans and durations are kept as their source text: Microsoft.Extensions.Configuration
/// is string-typed, and the typed binder decides what "10s" or "2181" means.
/// </summary>
public sealed class HoconScalar(HoconPosition position, string? text, HoconScalarKind kind, bool quoted = false)
    : HoconValue(position)
{
    /// <summary>Null only for <see cref="HoconScalarKind.Null"/>.</summary>
    public string? Text { get; } = text;
    public HoconScalarKind Kind { get; } = kind;
    /// <summary>Unquoted whitespace between concatenated values is kept, quoted or not; this tells them apart.</summary>
    public bool Quoted { get; } = quoted;
    internal bool IsWhitespace => !Quoted && Kind == HoconScalarKind.String && string.IsNullOrWhiteSpace(Text);
    public override string ToString() => Text ?? "null";
}

/// <summary>Fields keep insertion order so flattening and error messages follow the file.</summary>
public sealed class HoconObject(HoconPosition position) : HoconValue(position)
{
    private readonly List<string> order = [];
    private readonly Dictionary<string, HoconValue> fields = new(StringComparer.Ordinal);

    public IEnumerable<KeyValuePair<string, HoconValue>> Fields => order.Select(k => new KeyValuePair<string, HoconValue>(k, fields[k]));
    public int Count => order.Count;

    public bool TryGet(string key, out HoconValue value) => fields.TryGetValue(key, out value!);

    public void Set(string key, HoconValue value)
    {
        if (!fields.ContainsKey(key)) order.Add(key);
        fields[key] = value;
    }

    public void Remove(string key)
    {
        if (fields.Remove(key)) order.Remove(key);
    }

    /// <summary>Walks a path through nested objects only; null when a step is missing or not an object.</summary>
    public HoconValue? Find(IReadOnlyList<string> path)
    {
        HoconValue current = this;
        foreach (var segment in path)
        {
            if (current is not HoconObject obj || !obj.TryGet(segment, out current)) return null;
        }
        return current;
    }

    /// <summary>
    /// HOCON's merge rule: when both sides are objects they merge recursively, otherwise the later
    /// value replaces the earlier. Objects are copied so neither input is mutated.
    /// </summary>
    public static HoconValue Merge(HoconValue earlier, HoconValue later)
    {
        // "port = ${?PORT}" must keep the earlier port when PORT is unset, as the HOCON spec says.
        if (later is HoconSubstitution { Optional: true, Fallback: null } optional)
            return optional.WithFallback(earlier);
        if (earlier is not HoconObject a || later is not HoconObject b) return later;
        var merged = new HoconObject(b.Position);
        foreach (var (k, v) in a.Fields) merged.Set(k, v);
        foreach (var (k, v) in b.Fields)
            merged.Set(k, merged.TryGet(k, out var old) ? Merge(old, v) : v);
        return merged;
    }

    /// <summary>This object on top of <paramref name="fallback"/>, as Akka's withFallback.</summary>
    public HoconObject WithFallback(HoconObject fallback) => (HoconObject)Merge(fallback, this);
}

public sealed class HoconArray(HoconPosition position, IReadOnlyList<HoconValue> items) : HoconValue(position)
{
    public IReadOnlyList<HoconValue> Items { get; } = items;
}

/// <summary>
/// <c>${path}</c> or <c>${?path}</c>. <see cref="Path"/> is absolute in the final tree (an included
/// file's paths are prefixed with where it was included); <see cref="FallbackPath"/> is the path as
/// written, tried next; <see cref="Expression"/> is the text used for the environment lookup.
/// </summary>
public sealed class HoconSubstitution(
    HoconPosition position, string expression, IReadOnlyList<string> path, IReadOnlyList<string>? fallbackPath, bool optional)
    : HoconValue(position)
{
    public string Expression { get; } = expression;
    public IReadOnlyList<string> Path { get; } = path;
    public IReadOnlyList<string>? FallbackPath { get; } = fallbackPath;
    public bool Optional { get; } = optional;
    /// <summary>Set for a self-reference with no earlier value: only the environment can supply it.</summary>
    public bool EnvironmentOnly { get; init; }
    /// <summary>For an optional substitution that overrides a field: the value kept when it finds nothing.</summary>
    public HoconValue? Fallback { get; init; }

    public HoconSubstitution WithFallback(HoconValue fallback) =>
        new(Position, Expression, Path, FallbackPath, Optional) { EnvironmentOnly = EnvironmentOnly, Fallback = fallback };
    public override string ToString() => Optional ? $"${{?{Expression}}}" : $"${{{Expression}}}";
}

/// <summary>Values written next to each other on one line: strings join, arrays append, objects merge.</summary>
public sealed class HoconConcatenation(HoconPosition position, IReadOnlyList<HoconValue> parts) : HoconValue(position)
{
    public IReadOnlyList<HoconValue> Parts { get; } = parts;
}
