using Coord.Protocol;

namespace Coord.Actors.Txns;

/// <summary>
/// Jute encoding of sequenced txns, as stored in the journal and sent in proposals.
/// Layout: header <c>long sessionId, int cxid, long zxid, long timeMs, int type</c> (ZooKeeper's TxnHeader
/// order), then the body by type:
/// <list type="bullet">
/// <item>Create/CreateContainer/CreateTtl: <c>ustring path, buffer data, vector&lt;ACL&gt; acl, long ephemeralOwner, int parentCversion</c></item>
/// <item>Delete: <c>ustring path</c>; SetData: <c>ustring path, buffer data, int version</c></item>
/// <item>SetAcl: <c>ustring path, vector&lt;ACL&gt; acl, int version</c>; Check: <c>ustring path, int version</c></item>
/// <item>Error: <c>int err</c>; Multi: <c>int count</c> then per op <c>int type, buffer body</c> (ZooKeeper's MultiTxn)</item>
/// <item>CreateSession: <c>long sessionId, int timeoutMs, buffer password</c>; CloseSession: <c>long sessionId, vector&lt;ustring&gt; paths</c></item>
/// </list>
/// ACL lists go through <see cref="AclCodec"/>, not the wire records. The format is frozen by golden-byte
/// specs; change it only with a journal version bump.
/// </summary>
public static class TxnCodec
{
    public const int HeaderBytes = 32;

    public static void Write(JuteWriter w, SequencedTxn txn)
    {
        ArgumentNullException.ThrowIfNull(txn);
        var h = txn.Header;
        w.WriteLong(h.SessionId);
        w.WriteInt(h.Cxid);
        w.WriteLong(h.Zxid);
        w.WriteLong(h.TimeMs);
        w.WriteInt((int)txn.Body.Type);
        WriteBody(w, txn.Body, nested: false);
    }

    public static byte[] ToBytes(SequencedTxn txn)
    {
        var w = new JuteWriter();
        Write(w, txn);
        return w.ToArray();
    }

    /// <summary>Decodes exactly one txn; trailing bytes, unknown types and inconsistent owners throw <see cref="JuteException"/>.</summary>
    public static SequencedTxn Read(ReadOnlySpan<byte> bytes)
    {
        var r = new JuteReader(bytes);
        var header = new TxnHeader(r.ReadLong(), r.ReadInt(), r.ReadLong(), r.ReadLong());
        var type = (TxnType)r.ReadInt();
        var body = ReadBody(ref r, type, nested: false);
        if (!r.AtEnd) throw new JuteException($"{r.Remaining} trailing bytes after {type} txn");
        return new SequencedTxn(header, body);
    }

    private static void WriteBody(JuteWriter w, Txn body, bool nested)
    {
        switch (body)
        {
            case CreateTxn c:
                w.WriteString(c.Path); w.WriteBuffer(c.Data); AclCodec.WriteList(w, c.Acl);
                w.WriteLong(c.EphemeralOwner); w.WriteInt(c.ParentCversion);
                break;
            case DeleteTxn d: w.WriteString(d.Path); break;
            case SetDataTxn s: w.WriteString(s.Path); w.WriteBuffer(s.Data); w.WriteInt(s.Version); break;
            case SetAclTxn a: w.WriteString(a.Path); AclCodec.WriteList(w, a.Acl); w.WriteInt(a.Version); break;
            case CheckVersionTxn c: w.WriteString(c.Path); w.WriteInt(c.Version); break;
            case ErrorTxn e: w.WriteInt((int)e.Err); break;
            case MultiTxn m when !nested:
                w.WriteInt(m.Txns.Count);
                var inner = new JuteWriter();
                foreach (var t in m.Txns)
                {
                    inner.Reset();
                    WriteBody(inner, t, nested: true);
                    w.WriteInt((int)t.Type);
                    w.WriteBuffer(inner.WrittenSpan);
                }
                break;
            case CreateSessionTxn s when !nested:
                w.WriteLong(s.SessionId); w.WriteInt(s.TimeoutMs); w.WriteBuffer(s.Password);
                break;
            case CloseSessionTxn c when !nested:
                w.WriteLong(c.SessionId); w.WriteStringVector(c.PathsToDelete);
                break;
            default:
                throw new InvalidOperationException($"cannot encode {body.Type} {(nested ? "inside a multi" : "")}");
        }
    }

    private static Txn ReadBody(ref JuteReader r, TxnType type, bool nested)
    {
        switch (type)
        {
            case TxnType.Create or TxnType.CreateContainer or TxnType.CreateTtl:
                var c = new CreateTxn(Str(ref r), r.ReadBuffer(), AclCodec.ReadList(ref r) ?? [], r.ReadLong(), r.ReadInt());
                if (c.Type != type) throw new JuteException($"{type} txn carries owner 0x{c.EphemeralOwner:x} of a {c.Type}");
                return c;
            case TxnType.Delete: return new DeleteTxn(Str(ref r));
            case TxnType.SetData: return new SetDataTxn(Str(ref r), r.ReadBuffer(), r.ReadInt());
            case TxnType.SetAcl: return new SetAclTxn(Str(ref r), AclCodec.ReadList(ref r) ?? [], r.ReadInt());
            case TxnType.Check: return new CheckVersionTxn(Str(ref r), r.ReadInt());
            case TxnType.Error: return new ErrorTxn((ErrorCode)r.ReadInt());
            case TxnType.Multi when !nested:
                int n = r.ReadVectorCount(8);
                var txns = new List<Txn>(Math.Max(0, n));
                for (int i = 0; i < n; i++)
                {
                    var subType = (TxnType)r.ReadInt();
                    var bytes = r.ReadBuffer() ?? throw new JuteException("null multi op body");
                    var sub = new JuteReader(bytes);
                    txns.Add(ReadBody(ref sub, subType, nested: true));
                    if (!sub.AtEnd) throw new JuteException($"{sub.Remaining} trailing bytes in multi op {subType}");
                }
                return new MultiTxn(txns);
            case TxnType.CreateSession when !nested:
                return new CreateSessionTxn(r.ReadLong(), r.ReadInt(), r.ReadBuffer() ?? throw new JuteException("null session password"));
            case TxnType.CloseSession when !nested:
                return new CloseSessionTxn(r.ReadLong(), r.ReadStringVector() ?? []);
            default:
                throw new JuteException($"unknown txn type {(int)type}{(nested ? " inside a multi" : "")}");
        }
    }

    private static string Str(ref JuteReader r) => r.ReadString() ?? throw new JuteException("null path in txn");
}
