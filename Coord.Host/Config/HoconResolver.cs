using System.Text;

namespace Coord.Host.Config;

/// <summary>
/// Resolves substitutions and concatenations against the whole merged document, then the environment.
/// The result holds only objects, arrays and scalars. An optional substitution that finds nothing
/// removes its field (or array element), and counts as empty inside a concatenation.
/// </summary>
public sealed class HoconResolver
{
    private readonly HoconObject root;
    private readonly Func<string, string?> environment;
    private readonly Dictionary<HoconValue, HoconValue?> resolved = new(ReferenceEqualityComparer.Instance);
    private readonly HashSet<HoconValue> inProgress = new(ReferenceEqualityComparer.Instance);

    private HoconResolver(HoconObject root, Func<string, string?> environment)
    {
        this.root = root;
        this.environment = environment;
    }

    /// <param name="environment">Looks up environment variables; null means the process environment.</param>
    public static HoconObject Resolve(HoconObject root, Func<string, string?>? environment = null)
    {
        var resolver = new HoconResolver(root, environment ?? Environment.GetEnvironmentVariable);
        return (HoconObject)resolver.ResolveValue(root)!;
    }

    /// <summary>Null means "undefined" (an optional substitution that found nothing).</summary>
    private HoconValue? ResolveValue(HoconValue value)
    {
        if (value is HoconScalar) return value;
        if (resolved.TryGetValue(value, out var done)) return done;
        if (!inProgress.Add(value))
            throw new HoconException(value.Position, $"substitution cycle: {Describe(value)} depends on itself");
        try
        {
            var result = value switch
            {
                HoconObject o => ResolveObject(o),
                HoconArray a => new HoconArray(a.Position, a.Items.Select(ResolveValue).OfType<HoconValue>().ToList()),
                HoconSubstitution s => ResolveSubstitution(s),
                HoconConcatenation c => ResolveConcatenation(c),
                _ => throw new InvalidOperationException($"unknown HOCON node {value.GetType().Name}"),
            };
            resolved[value] = result;
            return result;
        }
        finally
        {
            inProgress.Remove(value);
        }
    }

    private static string Describe(HoconValue value) => value switch
    {
        HoconSubstitution s => s.ToString(),
        _ => "the value",
    };

    private HoconObject ResolveObject(HoconObject obj)
    {
        var result = new HoconObject(obj.Position);
        foreach (var (key, v) in obj.Fields)
        {
            var r = ResolveValue(v);
            if (r is not null) result.Set(key, r);
        }
        return result;
    }

    private HoconValue? ResolveSubstitution(HoconSubstitution s)
    {
        if (!s.EnvironmentOnly)
        {
            if (TryLookup(s.Path, out var found)) return found;
            if (s.FallbackPath is not null && TryLookup(s.FallbackPath, out found)) return found;
        }
        var env = environment(s.Expression);
        if (env is not null) return new HoconScalar(s.Position, env, HoconScalarKind.String, quoted: true);
        if (s.Optional) return s.Fallback is null ? null : ResolveValue(s.Fallback);
        throw new HoconException(s.Position,
            $"could not resolve substitution {s}: expected the path '{string.Join('.', s.Path)}' in the configuration or an environment variable '{s.Expression}' (write ${{?{s.Expression}}} if it may be absent)");
    }

    /// <summary>
    /// Walks the unresolved tree, resolving only the nodes on the way (a substitution or concatenation
    /// that stands for an object), so that a sibling lookup like <c>a { b = 1, c = ${a.b} }</c> does not
    /// look like a cycle through <c>a</c>.
    /// </summary>
    private bool TryLookup(IReadOnlyList<string> path, out HoconValue? value)
    {
        HoconValue? current = root;
        foreach (var segment in path)
        {
            if (current is HoconSubstitution or HoconConcatenation) current = ResolveValue(current);
            if (current is not HoconObject obj || !obj.TryGet(segment, out var next))
            {
                value = null;
                return false;
            }
            current = next;
        }
        value = ResolveValue(current!);
        return value is not null;
    }

    private HoconValue? ResolveConcatenation(HoconConcatenation c)
    {
        var parts = c.Parts.Select(ResolveValue).OfType<HoconValue>().ToList();
        var structured = parts.Where(p => p is HoconObject or HoconArray).ToList();
        if (structured.Count > 0)
        {
            // Whitespace between "${a} { b = 1 }" is layout, not content.
            var rest = parts.Where(p => p is not (HoconObject or HoconArray) && !(p is HoconScalar s && s.IsWhitespace)).ToList();
            if (rest.Count > 0 || structured.Any(p => p.GetType() != structured[0].GetType()))
            {
                var offender = rest.FirstOrDefault() ?? structured.First(p => p.GetType() != structured[0].GetType());
                throw new HoconException(offender.Position,
                    $"cannot concatenate {KindName(structured[0])} with {KindName(offender)}: expected all parts of the value to be {KindName(structured[0])}s");
            }
            if (structured[0] is HoconArray)
                return new HoconArray(c.Position, structured.Cast<HoconArray>().SelectMany(a => a.Items).ToList());
            return structured.Aggregate((a, b) => HoconObject.Merge(a, b));
        }
        var trimmed = TrimWhitespace(parts);
        if (trimmed.Count == 0) return parts.Count == 0 ? null : new HoconScalar(c.Position, "", HoconScalarKind.String, quoted: true);
        var sb = new StringBuilder();
        foreach (var p in trimmed) sb.Append(((HoconScalar)p).Text ?? "null");
        return new HoconScalar(c.Position, sb.ToString(), HoconScalarKind.String, quoted: true);
    }

    private static List<HoconValue> TrimWhitespace(List<HoconValue> parts)
    {
        // Whitespace left over where an optional substitution vanished must not pad the result.
        var start = 0;
        var end = parts.Count;
        while (start < end && parts[start] is HoconScalar { IsWhitespace: true }) start++;
        while (end > start && parts[end - 1] is HoconScalar { IsWhitespace: true }) end--;
        return parts.GetRange(start, end - start);
    }

    private static string KindName(HoconValue v) => v switch
    {
        HoconObject => "object",
        HoconArray => "array",
        HoconScalar s => $"string '{s.Text}'",
        _ => "value",
    };
}
