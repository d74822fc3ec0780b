using System.Buffers.Binary;

namespace Coord.Interop.Specs.Fuzz;

/// <summary>
/// Seeded mutations of client→server frames (a frame = 4-byte big-endian length + payload, as on the
/// wire). <see cref="Mutate(byte[], Random, byte[])"/> returns the bytes to write in place of the frame:
/// usually one (broken) frame, sometimes zero bytes of a frame, several frames (duplicates) or a stream
/// whose declared lengths no longer match (desynchronising the rest of the connection).
/// Deterministic for a given <see cref="Random"/> state.
/// </summary>
public static class FrameMutator
{
    public static readonly byte[] InterestingBytes = [0x00, 0xFF, 0x7F, 0x80, 0x01, 0xFE];

    public static readonly int[] InterestingInts =
    [
        0, 1, -1, -2, 2, 4, 0x7F, 0x80, 0xFF, 0x100, 0x7FFF, 0x8000, 0xFFFF, 0x10000,
        0xFFFFF, 0x100000, 0x100001, 0x7FFFFFFF, int.MinValue, int.MinValue + 1, -129, 1 << 24,
    ];

    /// <summary>Opcodes clients send, a few internal ones and invalid values.</summary>
    public static readonly int[] OpCodes =
    [
        0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23,
        100, 101, 102, 103, 104, 105, 106, 107, 108, -1, -10, -11, -12, 99, 999, int.MaxValue, int.MinValue,
    ];

    public static readonly int[] SpecialXids = [-1, -2, -4, -8, 0, 1, int.MaxValue, int.MinValue, -3];

    public enum Kind
    {
        BitFlip,
        InterestingByte,
        InterestingInt,
        FrameLength,
        InnerLength,
        Truncate,
        Extend,
        Splice,
        OpCodeSwap,
        XidSwap,
        Duplicate,
        Stack,
    }

    private static readonly Kind[] Kinds = Enum.GetValues<Kind>();

    /// <summary>One random mutation (or a stack of 2–4) of <paramref name="frame"/>; <paramref name="donor"/>
    /// (another frame) is used for splicing, the frame itself if null.</summary>
    public static byte[] Mutate(byte[] frame, Random rng, byte[]? donor = null) =>
        Mutate(frame, rng, Kinds[rng.Next(Kinds.Length)], donor);

    public static byte[] Mutate(byte[] frame, Random rng, Kind kind, byte[]? donor = null)
    {
        ArgumentNullException.ThrowIfNull(frame);
        ArgumentNullException.ThrowIfNull(rng);
        if (frame.Length < 4)
        {
            return Extend(frame, rng);
        }

        donor ??= frame;
        switch (kind)
        {
            case Kind.BitFlip:
                {
                    var f = (byte[])frame.Clone();
                    for (int i = 0, n = 1 + rng.Next(8); i < n; i++)
                    {
                        var at = Body(f, rng);
                        f[at] ^= (byte)(1 << rng.Next(8));
                    }

                    return f;
                }

            case Kind.InterestingByte:
                {
                    var f = (byte[])frame.Clone();
                    for (int i = 0, n = 1 + rng.Next(4); i < n; i++)
                    {
                        f[Body(f, rng)] = InterestingBytes[rng.Next(InterestingBytes.Length)];
                    }

                    return f;
                }

            case Kind.InterestingInt:
                {
                    var f = (byte[])frame.Clone();
                    if (f.Length >= 8)
                    {
                        var at = 4 + rng.Next(f.Length - 7);
                        if (rng.Next(2) == 0)
                        {
                            at &= ~3; // aligned hits the fixed-width fields more often
                            at = Math.Max(4, Math.Min(at, f.Length - 4));
                        }

                        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(at), Pick(InterestingInts, rng));
                    }

                    return f;
                }

            case Kind.FrameLength:
                {
                    var f = (byte[])frame.Clone();
                    var actual = f.Length - 4;
                    int[] choices = [-1, int.MinValue, -actual, 0, actual - 1, actual + 1, actual + 2, actual * 2,
                        0xFFFFF, 0x100000, 0x100001, 0x7FFFFFFF, 1 << 28, 4, 8, 12];
                    BinaryPrimitives.WriteInt32BigEndian(f, choices[rng.Next(choices.Length)]);
                    return f;
                }

            case Kind.InnerLength:
                {
                    var fields = JuteLayout.LengthFields(frame, isConnect: LooksLikeConnect(frame));
                    if (fields.Count == 0)
                    {
                        return Mutate(frame, rng, Kind.InterestingInt, donor);
                    }

                    var f = (byte[])frame.Clone();
                    var at = fields[rng.Next(fields.Count)];
                    var current = BinaryPrimitives.ReadInt32BigEndian(f.AsSpan(at));
                    var remaining = f.Length - at - 4;
                    int[] choices = [-1, -2, int.MinValue, int.MaxValue, 0x100000, 0x100001, 0x1FFFFF, current + 1,
                        current - 1, 0, remaining + 1, remaining, 1 << 30, current * 2 + 1];
                    BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(at), choices[rng.Next(choices.Length)]);
                    return f;
                }

            case Kind.Truncate:
                {
                    var keep = rng.Next(Math.Max(1, frame.Length));
                    var f = frame.AsSpan(0, keep).ToArray();
                    // Mostly keep the prefix consistent (a short record); sometimes leave it claiming more
                    // bytes than follow (the next frame's bytes are then read as this one's tail).
                    return keep >= 4 && rng.Next(4) != 0 ? FixLength(f) : f;
                }

            case Kind.Extend:
                return Extend(frame, rng);

            case Kind.Splice:
                {
                    var cut = 4 + rng.Next(Math.Max(1, frame.Length - 4));
                    var from = donor.Length <= 4 ? donor.Length : 4 + rng.Next(donor.Length - 4);
                    var f = new byte[cut + donor.Length - from];
                    frame.AsSpan(0, Math.Min(cut, frame.Length)).CopyTo(f);
                    donor.AsSpan(from).CopyTo(f.AsSpan(cut));
                    return rng.Next(5) != 0 ? FixLength(f) : f;
                }

            case Kind.OpCodeSwap:
                {
                    var f = (byte[])frame.Clone();
                    if (f.Length >= 12)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(8), Pick(OpCodes, rng));
                    }

                    return f;
                }

            case Kind.XidSwap:
                {
                    var f = (byte[])frame.Clone();
                    if (f.Length >= 8)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(f.AsSpan(4), Pick(SpecialXids, rng));
                    }

                    return f;
                }

            case Kind.Duplicate:
                {
                    var copies = 2 + rng.Next(3);
                    var f = new byte[frame.Length * copies];
                    for (var i = 0; i < copies; i++)
                    {
                        frame.CopyTo(f, i * frame.Length);
                    }

                    return f;
                }

            case Kind.Stack:
            default:
                {
                    var f = frame;
                    for (int i = 0, n = 2 + rng.Next(3); i < n; i++)
                    {
                        var k = Kinds[rng.Next(Kinds.Length - 1)]; // no nested Stack
                        f = Mutate(f.Length >= 4 ? f : frame, rng, k, donor);
                    }

                    return f;
                }
        }
    }

    /// <summary>A ConnectRequest has no header: 4 + (4 + 8 + 4 + 8 + 4 + 16 [+ 1]) bytes.</summary>
    public static bool LooksLikeConnect(byte[] frame) =>
        frame.Length is 48 or 49 && BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(4)) == 0
            && BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(28)) == 16;

    /// <summary>Rewrites the 4-byte prefix to the actual payload length.</summary>
    public static byte[] FixLength(byte[] frame)
    {
        if (frame.Length >= 4)
        {
            BinaryPrimitives.WriteInt32BigEndian(frame, frame.Length - 4);
        }

        return frame;
    }

    private static byte[] Extend(byte[] frame, Random rng)
    {
        var extra = new byte[1 + rng.Next(rng.Next(8) == 0 ? 4096 : 64)];
        rng.NextBytes(extra);
        var f = new byte[frame.Length + extra.Length];
        frame.CopyTo(f, 0);
        extra.CopyTo(f, frame.Length);
        return rng.Next(4) != 0 ? FixLength(f) : f;
    }

    private static int Body(byte[] f, Random rng) => f.Length > 4 ? 4 + rng.Next(f.Length - 4) : rng.Next(f.Length);

    private static int Pick(int[] values, Random rng) => values[rng.Next(values.Length)];
}

/// <summary>
/// Finds the offsets of the int32 length fields (ustring, buffer, vector counts) inside a request
/// frame by walking its jute layout; tolerant: stops quietly where the bytes stop making sense.
/// </summary>
public static class JuteLayout
{
    public static List<int> LengthFields(byte[] frame, bool isConnect)
    {
        var r = new Walker(frame);
        try
        {
            if (isConnect)
            {
                r.Skip(4 + 8 + 4 + 8);
                r.Buffer();
                return r.Fields;
            }

            r.Skip(4); // xid
            var op = r.Int();
            Body(r, op);
        }
        catch (IndexOutOfRangeException)
        {
        }
        catch (ArgumentOutOfRangeException)
        {
        }

        return r.Fields;
    }

    private static void Body(Walker r, int op)
    {
        switch (op)
        {
            case 1 or 15 or 19 or 21: // create, create2, createContainer, createTTL
                r.Buffer(); // path
                r.Buffer(); // data
                Acls(r);
                r.Skip(4); // flags
                break;
            case 2 or 13: // delete, check: path, version
            case 3 or 4 or 8 or 12: // exists, getData, getChildren(2): path, watch
            case 6 or 9 or 20 or 103 or 104 or 106: // getACL, sync, deleteContainer, getEphemerals, getAllChildrenNumber, addWatch
            case 17 or 18: // checkWatches, removeWatches: path, type
                r.Buffer();
                break;
            case 5: // setData: path, data, version
                r.Buffer();
                r.Buffer();
                break;
            case 7: // setACL: path, acl, version
                r.Buffer();
                Acls(r);
                break;
            case 100: // auth: type, scheme, auth
                r.Skip(4);
                r.Buffer();
                r.Buffer();
                break;
            case 101 or 105: // setWatches(2): relativeZxid, 3 or 5 vectors of ustring
                r.Skip(8);
                for (var v = 0; v < (op == 101 ? 3 : 5); v++)
                {
                    var n = r.Int(countAsField: true);
                    for (var i = 0; i < n; i++)
                    {
                        r.Buffer();
                    }
                }

                break;
            case 102: // sasl: token
                r.Buffer();
                break;
            case 14 or 22: // multi / multiRead: (MultiHeader type, done, err) + record, until done
                for (var guard = 0; guard < 1000; guard++)
                {
                    var type = r.Int();
                    var done = r.Byte() != 0;
                    r.Skip(4);
                    if (done)
                    {
                        break;
                    }

                    Body(r, type);
                    if (type is 2 or 5 or 13)
                    {
                        r.Skip(4); // delete / setData / check: int version after what Body read
                    }
                    else if (type is 4 or 8)
                    {
                        r.Skip(1); // multiRead getData / getChildren: boolean watch
                    }
                }

                break;
        }
    }

    private static void Acls(Walker r)
    {
        var n = r.Int(countAsField: true);
        for (var i = 0; i < n; i++)
        {
            r.Skip(4);
            r.Buffer();
            r.Buffer();
        }
    }

    private sealed class Walker(byte[] frame)
    {
        private int at = 4;

        public List<int> Fields { get; } = [];

        public void Skip(int n)
        {
            if (at + n > frame.Length)
            {
                throw new IndexOutOfRangeException();
            }

            at += n;
        }

        public byte Byte() => frame[at++];

        public int Int(bool countAsField = false)
        {
            var v = BinaryPrimitives.ReadInt32BigEndian(frame.AsSpan(at, 4));
            if (countAsField)
            {
                Fields.Add(at);
            }

            at += 4;
            if (countAsField && (v < -1 || v > frame.Length))
            {
                throw new IndexOutOfRangeException();
            }

            return v;
        }

        public void Buffer()
        {
            var n = Int(countAsField: true);
            if (n > 0)
            {
                Skip(n);
            }
        }
    }
}
