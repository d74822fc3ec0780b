using System.Buffers.Binary;
using System.Text;

namespace Coord.Actors.Tree;

public sealed partial class DataTree
{
    /// <summary>
    /// 64-bit FNV-1a digest of the whole state (every node's path, data, stat incl. stored cversion and raw
    /// owner, ACL; every session). Nodes and sessions are visited in sorted order, so equal states give equal
    /// digests on every replica whatever the history of insertions. O(n log n): for checks, not hot paths.
    /// </summary>
    public ulong Digest()
    {
        var h = new Fnv();
        foreach (var path in _nodes.Keys.Order(StringComparer.Ordinal))
        {
            var n = _nodes[path];
            h.Add(path);
            if (n.Data is null) h.Add(-1); else { h.Add(n.Data.Length); h.Add(n.Data); }
            h.Add(n.Czxid); h.Add(n.Mzxid); h.Add(n.Pzxid); h.Add(n.Ctime); h.Add(n.Mtime);
            h.Add(n.Version); h.Add(n.StoredCversion); h.Add(n.Aversion); h.Add(n.EphemeralOwnerRaw);
            h.Add(n.ChildCount);
            h.Add(n.Acl.Count);
            foreach (var a in n.Acl) { h.Add((int)a.Perms); h.Add(a.Id.Scheme); h.Add(a.Id.Ident); }
        }
        foreach (var id in _sessions.Keys.Order())
        {
            var s = _sessions[id];
            h.Add(id); h.Add(s.TimeoutMs); h.Add(s.Password.Length); h.Add(s.Password);
        }
        return h.Value;
    }

    private struct Fnv()
    {
        public ulong Value { get; private set; } = 14695981039346656037UL;

        public void Add(ReadOnlySpan<byte> bytes)
        {
            ulong v = Value;
            foreach (byte b in bytes) v = (v ^ b) * 1099511628211UL;
            Value = v;
        }

        public void Add(long x) { Span<byte> b = stackalloc byte[8]; BinaryPrimitives.WriteInt64LittleEndian(b, x); Add(b); }
        public void Add(int x) { Span<byte> b = stackalloc byte[4]; BinaryPrimitives.WriteInt32LittleEndian(b, x); Add(b); }
        public void Add(string s) { Add(s.Length); Add(Encoding.UTF8.GetBytes(s)); }
    }
}
