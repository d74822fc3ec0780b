using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using Coord.Protocol;

namespace Coord.Client.Specs;

/// <summary>
/// Helpers shared by the golden-byte and property specs: a hand-written hex notation, write/read shims and a
/// structural comparer (records holding lists or byte arrays compare by reference, so specs compare fields).
/// </summary>
internal static class Wire
{
    /// <summary>
    /// Parses hex written as in wire-protocol.md: whitespace and '|' separate fields and are ignored, and
    /// "00×16" (or "00x16") repeats one byte, so §3.1's example can be pasted verbatim.
    /// </summary>
    public static byte[] Hex(string text)
    {
        var bytes = new List<byte>();
        foreach (var token in text.Split([' ', '|', '\n', '\r', '\t'], StringSplitOptions.RemoveEmptyEntries))
        {
            int times = token.IndexOfAny(['×', 'x']);
            if (times == 2)
            {
                byte b = byte.Parse(token.AsSpan(0, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                int n = int.Parse(token.AsSpan(3), CultureInfo.InvariantCulture);
                for (int i = 0; i < n; i++) bytes.Add(b);
                continue;
            }
            if (token.Length % 2 != 0) throw new ArgumentException($"odd-length hex token '{token}'");
            bytes.AddRange(Convert.FromHexString(token));
        }
        return bytes.ToArray();
    }

    /// <summary>Canonical upper-case hex so that a failing assertion shows both sides readably.</summary>
    public static string Canonical(string text) => Convert.ToHexString(Hex(text));

    public static byte[] Bytes(IJuteWritable record)
    {
        var w = new JuteWriter();
        record.Write(w);
        return w.ToArray();
    }

    public static string HexOf(IJuteWritable record) => Convert.ToHexString(Bytes(record));

    /// <summary>For records that are not <see cref="IJuteWritable"/> (SetWatchesRequest carries a version flag).</summary>
    public static string HexOf(Action<JuteWriter> write)
    {
        var w = new JuteWriter();
        write(w);
        return Convert.ToHexString(w.WrittenSpan);
    }

    /// <summary>Reads one record and requires that it consumed every byte.</summary>
    public static T Read<T>(byte[] bytes) where T : IJuteRecord<T>
    {
        var r = new JuteReader(bytes);
        var value = T.Read(ref r);
        Assert.True(r.AtEnd, $"{typeof(T).Name} left {r.Remaining} of {bytes.Length} bytes unread");
        return value;
    }

    /// <summary>Write produces exactly <paramref name="hex"/> and reading it back yields an equal value.</summary>
    public static void Golden<T>(T value, string hex) where T : IJuteRecord<T>
    {
        Assert.Equal(Canonical(hex), HexOf(value));
        AssertSame(value, Read<T>(Hex(hex)));
    }

    public static void AssertSame(object? expected, object? actual)
    {
        var diff = Structural.FirstDifference(expected, actual, "value");
        Assert.True(diff is null, diff);
    }

    public static byte[] Utf8(string s) => Encoding.UTF8.GetBytes(s);
}

/// <summary>Deep field comparison: sequences element-wise, records/structs by public properties.</summary>
internal static class Structural
{
    public static string? FirstDifference(object? a, object? b, string path)
    {
        if (a is null || b is null)
            return a is null && b is null ? null : $"{path}: {Show(a)} vs {Show(b)}";
        // Sequences compare element-wise whatever their concrete type ([] vs List<T> after a read).
        if (a is IEnumerable ea && b is IEnumerable eb && a is not string && b is not string)
        {
            var la = ea.Cast<object?>().ToList();
            var lb = eb.Cast<object?>().ToList();
            if (la.Count != lb.Count) return $"{path}: count {la.Count} vs {lb.Count}";
            for (int i = 0; i < la.Count; i++)
                if (FirstDifference(la[i], lb[i], $"{path}[{i}]") is { } d) return d;
            return null;
        }
        if (a.GetType() != b.GetType()) return $"{path}: type {a.GetType().Name} vs {b.GetType().Name}";
        var type = a.GetType();
        if (a is string || type.IsPrimitive || type.IsEnum)
            return a.Equals(b) ? null : $"{path}: {Show(a)} vs {Show(b)}";
        foreach (var p in type.GetProperties(BindingFlags.Public | BindingFlags.Instance))
        {
            if (p.GetIndexParameters().Length != 0) continue;
            if (FirstDifference(p.GetValue(a), p.GetValue(b), $"{path}.{p.Name}") is { } d) return d;
        }
        return null;
    }

    private static string Show(object? v) => v switch
    {
        null => "null",
        byte[] bytes => Convert.ToHexString(bytes),
        _ => v.ToString() ?? "",
    };
}
