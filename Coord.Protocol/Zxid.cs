namespace Coord.Protocol;

/// <summary>A zxid: (epoch &lt;&lt; 32) | counter. Totally orders every committed txn.</summary>
public readonly record struct Zxid(long Value) : IComparable<Zxid>
{
    public static readonly Zxid Zero = new(0);

    public static Zxid Of(int epoch, int counter) => new(((long)epoch << 32) | (uint)counter);

    public int Epoch => (int)(Value >> 32);
    public int Counter => (int)(Value & 0xFFFFFFFFL);

    public Zxid Next() => new(Value + 1);

    public int CompareTo(Zxid other) => Value.CompareTo(other.Value);
    public static bool operator <(Zxid a, Zxid b) => a.Value < b.Value;
    public static bool operator >(Zxid a, Zxid b) => a.Value > b.Value;
    public static bool operator <=(Zxid a, Zxid b) => a.Value <= b.Value;
    public static bool operator >=(Zxid a, Zxid b) => a.Value >= b.Value;

    public override string ToString() => $"0x{Value:x}";
}
