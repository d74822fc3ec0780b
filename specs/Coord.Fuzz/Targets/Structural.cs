using System.Collections;
using System.Reflection;

namespace Coord.Fuzz;

/// <summary>
/// Field-by-field equality for decoded values: records compare their public properties, arrays and lists element by
/// element (record equality compares those by reference, so it cannot say "decodes to an equal value").
/// </summary>
public static class Structural
{
    /// <summary>Null when equal, else where and how the two differ.</summary>
    public static string? Difference(object? expected, object? actual, string where = "value")
    {
        if (expected is null || actual is null)
            return expected is null && actual is null ? null : $"{where}: {expected ?? "null"} vs {actual ?? "null"}";
        // Collections by their elements, whatever list type holds them (a decoder's List or an array).
        if (expected is IEnumerable items && expected is not string && actual is IEnumerable others and not string)
        {
            var a = items.Cast<object?>().ToList();
            var b = others.Cast<object?>().ToList();
            if (a.Count != b.Count) return $"{where}: {a.Count} items vs {b.Count}";
            for (int i = 0; i < a.Count; i++)
                if (Difference(a[i], b[i], $"{where}[{i}]") is { } d) return d;
            return null;
        }
        var type = expected.GetType();
        if (type != actual.GetType()) return $"{where}: {type.Name} vs {actual.GetType().Name}";
        if (type.IsPrimitive || type.IsEnum || expected is string or decimal)
            return expected.Equals(actual) ? null : $"{where}: {expected} vs {actual}";
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length != 0) continue;
            if (Difference(p.GetValue(expected), p.GetValue(actual), $"{where}.{p.Name}") is { } d) return d;
        }
        return null;
    }
}
