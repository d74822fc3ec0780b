using System.Buffers.Binary;
using System.Text;

namespace Coord.Protocol;

/// <summary>Malformed jute input: underflow, negative or unreasonable lengths, bad UTF-8.</summary>
public sealed class JuteException(string message) : FormatException(message);

/// <summary>
/// Reads jute values from one frame's payload. Every length read from the wire is checked against the
/// bytes that remain, so a hostile length can never make the reader allocate past the frame.
/// </summary>
public ref struct JuteReader
{
    private readonly ReadOnlySpan<byte> _span;
    private int _pos;

    private static readonly UTF8Encoding StrictUtf8 = new(false, true);

    public JuteReader(ReadOnlySpan<byte> span)
    {
        _span = span;
        _pos = 0;
    }

    public readonly int Position => _pos;
    public readonly int Remaining => _span.Length - _pos;
    public readonly bool AtEnd => _pos >= _span.Length;

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > _span.Length - _pos)
            throw new JuteException($"record truncated: need {count} bytes at offset {_pos}, have {_span.Length - _pos}");
        var s = _span.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public byte ReadByte() => Take(1)[0];
    public bool ReadBool() => Take(1)[0] != 0;
    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    private int ReadLength(string what)
    {
        int n = ReadInt();
        if (n < -1) throw new JuteException($"{what} length {n} is negative");
        if (n > Remaining) throw new JuteException($"{what} length {n} exceeds the {Remaining} bytes left in the frame");
        return n;
    }

    public string? ReadString()
    {
        int n = ReadLength("string");
        if (n < 0) return null;
        try { return StrictUtf8.GetString(Take(n)); }
        catch (DecoderFallbackException) { throw new JuteException("string is not valid UTF-8"); }
    }

    public byte[]? ReadBuffer()
    {
        int n = ReadLength("buffer");
        return n < 0 ? null : Take(n).ToArray();
    }

    /// <summary>Vector count, checked so that count × minimum element size fits in what remains.</summary>
    public int ReadVectorCount(int minElementBytes)
    {
        int n = ReadInt();
        if (n < -1) throw new JuteException($"vector count {n} is negative");
        if (n > 0 && (long)n * Math.Max(1, minElementBytes) > Remaining)
            throw new JuteException($"vector count {n} exceeds the {Remaining} bytes left in the frame");
        return n;
    }

    public List<string>? ReadStringVector()
    {
        int n = ReadVectorCount(4);
        if (n < 0) return null;
        var list = new List<string>(n);
        for (int i = 0; i < n; i++) list.Add(ReadString() ?? throw new JuteException("null string in vector"));
        return list;
    }

    public List<T>? ReadVector<T>(int minElementBytes) where T : IJuteRecord<T>
    {
        int n = ReadVectorCount(minElementBytes);
        if (n < 0) return null;
        var list = new List<T>(n);
        for (int i = 0; i < n; i++) list.Add(T.Read(ref this));
        return list;
    }
}
