using System.Buffers.Binary;
using System.Text;

namespace Coord.Protocol;

/// <summary>
/// Appends jute-encoded values (big-endian, length-prefixed strings/buffers/vectors, -1 for null) to a
/// growable buffer. Reusable: <see cref="Reset"/> keeps the array. Not thread-safe.
/// </summary>
public sealed class JuteWriter
{
    private byte[] _buffer;
    private int _length;

    public JuteWriter(int initialCapacity = 256) => _buffer = new byte[Math.Max(16, initialCapacity)];

    public int Length => _length;
    public ReadOnlySpan<byte> WrittenSpan => _buffer.AsSpan(0, _length);
    public ReadOnlyMemory<byte> WrittenMemory => _buffer.AsMemory(0, _length);
    public byte[] ToArray() => WrittenSpan.ToArray();
    public void Reset() => _length = 0;

    private Span<byte> Grab(int count)
    {
        if (_length + count > _buffer.Length)
        {
            var next = new byte[Math.Max(_buffer.Length * 2, _length + count)];
            _buffer.AsSpan(0, _length).CopyTo(next);
            _buffer = next;
        }
        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }

    public void WriteByte(byte value) => Grab(1)[0] = value;
    public void WriteBool(bool value) => Grab(1)[0] = value ? (byte)1 : (byte)0;
    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Grab(4), value);
    public void WriteLong(long value) => BinaryPrimitives.WriteInt64BigEndian(Grab(8), value);

    public void WriteRaw(ReadOnlySpan<byte> bytes) => bytes.CopyTo(Grab(bytes.Length));

    /// <summary>ustring: UTF-8 byte count then bytes; null is -1.</summary>
    public void WriteString(string? value)
    {
        if (value is null) { WriteInt(-1); return; }
        int count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Grab(count));
    }

    /// <summary>buffer: length then bytes; null is -1.</summary>
    public void WriteBuffer(byte[]? value)
    {
        if (value is null) { WriteInt(-1); return; }
        WriteInt(value.Length);
        WriteRaw(value);
    }

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        WriteRaw(value);
    }

    public void WriteStringVector(IReadOnlyList<string>? values)
    {
        if (values is null) { WriteInt(-1); return; }
        WriteInt(values.Count);
        for (int i = 0; i < values.Count; i++) WriteString(values[i]);
    }

    public void WriteVector<T>(IReadOnlyList<T>? values) where T : IJuteRecord<T>
    {
        if (values is null) { WriteInt(-1); return; }
        WriteInt(values.Count);
        for (int i = 0; i < values.Count; i++) values[i].Write(this);
    }

    /// <summary>Reserves a 4-byte frame length; pair with <see cref="EndFrame"/>.</summary>
    public int BeginFrame()
    {
        int at = _length;
        Grab(4);
        return at;
    }

    /// <summary>Patches the length reserved at <paramref name="frameStart"/> with the bytes written since.</summary>
    public void EndFrame(int frameStart) =>
        BinaryPrimitives.WriteInt32BigEndian(_buffer.AsSpan(frameStart, 4), _length - frameStart - 4);
}

/// <summary>Anything that can append its jute encoding (every record; used where the type is not known statically).</summary>
public interface IJuteWritable
{
    void Write(JuteWriter writer);
}

/// <summary>A jute record: fields concatenated in declaration order.</summary>
public interface IJuteRecord<TSelf> : IJuteWritable where TSelf : IJuteRecord<TSelf>
{
    static abstract TSelf Read(ref JuteReader reader);
}
