using System.Buffers.Binary;
using Coord.Protocol;

namespace Coord.Actors.Ensemble;

/// <summary>
/// A bounded big-endian cursor over one peer message's bytes. Every length and count read is checked against the
/// bytes that remain before anything is allocated, so truncated or hostile input throws <see cref="JuteException"/>
/// and never over-allocates or loops. Unlike <see cref="JuteReader"/> it hands out slices without copying, which is
/// what length-prefixed txns and payload records are decoded from.
/// </summary>
internal ref struct PeerReader(ReadOnlySpan<byte> span)
{
    private readonly ReadOnlySpan<byte> _span = span;
    private int _pos;

    public readonly int Remaining => _span.Length - _pos;

    public ReadOnlySpan<byte> Take(int count)
    {
        if (count < 0 || count > Remaining)
            throw new JuteException($"message truncated: need {count} bytes at offset {_pos}, have {Remaining}");
        var s = _span.Slice(_pos, count);
        _pos += count;
        return s;
    }

    public byte ReadByte() => Take(1)[0];
    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));
    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    /// <summary>Only 0 and 1: a flag byte with any other value means the bytes are not what the manifest says.</summary>
    public bool ReadBool() => ReadByte() switch
    {
        0 => false,
        1 => true,
        var b => throw new JuteException($"flag byte {b} at offset {_pos - 1} is neither 0 nor 1"),
    };

    /// <summary>A non-negative length that fits in what remains.</summary>
    public int ReadLength(string what)
    {
        int n = ReadInt();
        if (n < 0 || n > Remaining) throw new JuteException($"{what} length {n} does not fit the {Remaining} bytes left");
        return n;
    }

    /// <summary>A count of elements of at least <paramref name="minElementBytes"/> each, checked against what remains.</summary>
    public int ReadCount(string what, int minElementBytes)
    {
        int n = ReadInt();
        if (n < 0 || (long)n * minElementBytes > Remaining)
            throw new JuteException($"{what} count {n} does not fit the {Remaining} bytes left");
        return n;
    }

    /// <summary>The rest of the message (the last field's bytes).</summary>
    public ReadOnlySpan<byte> TakeRest() => Take(Remaining);

    public readonly void ExpectEnd(string what)
    {
        if (Remaining != 0) throw new JuteException($"{Remaining} trailing bytes after {what}");
    }
}
