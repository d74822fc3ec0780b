namespace Coord.Protocol;

/// <summary>Znode Stat, 68 bytes on the wire; note pzxid comes last.</summary>
public readonly record struct Stat(
    long Czxid,
    long Mzxid,
    long Ctime,
    long Mtime,
    int Version,
    int Cversion,
    int Aversion,
    long EphemeralOwner,
    int DataLength,
    int NumChildren,
    long Pzxid) : IJuteRecord<Stat>
{
    public const int WireBytes = 68;

    public static Stat Read(ref JuteReader r) => new(
        r.ReadLong(), r.ReadLong(), r.ReadLong(), r.ReadLong(),
        r.ReadInt(), r.ReadInt(), r.ReadInt(), r.ReadLong(),
        r.ReadInt(), r.ReadInt(), r.ReadLong());

    public void Write(JuteWriter w)
    {
        w.WriteLong(Czxid); w.WriteLong(Mzxid); w.WriteLong(Ctime); w.WriteLong(Mtime);
        w.WriteInt(Version); w.WriteInt(Cversion); w.WriteInt(Aversion); w.WriteLong(EphemeralOwner);
        w.WriteInt(DataLength); w.WriteInt(NumChildren); w.WriteLong(Pzxid);
    }

    public override string ToString() =>
        $"czxid=0x{Czxid:x} mzxid=0x{Mzxid:x} pzxid=0x{Pzxid:x} v={Version} cv={Cversion} av={Aversion} " +
        $"owner=0x{EphemeralOwner:x} len={DataLength} kids={NumChildren}";
}
