using System.Buffers.Binary;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Journal;

/// <summary>
/// Reading a snapshot while its bytes arrive (a learner's SNAP): the same format 2 as <see cref="Read"/>, taken from a
/// sequence of pieces cut anywhere (1-byte pieces included), so parsing keeps pace with the transfer and only the tail
/// is left when the last piece arrives. Every length is checked before anything is allocated for it, and a buffer only
/// grows as far as bytes actually arrived; the checksum covers every byte and is checked before
/// <see cref="ReadTreeStreamed"/> builds a tree, so a damaged piece never reaches an install.
/// </summary>
public static partial class SnapshotFormat
{
    /// <summary>
    /// Parses a whole format-2 snapshot from <paramref name="pieces"/> (in order) and checks it. Bad input of any kind,
    /// a missing tail included, throws <see cref="SnapshotCorruptException"/>; exceptions of the source pass through.
    /// </summary>
    public static TreeImage ReadStreamed(IEnumerable<ReadOnlyMemory<byte>> pieces)
    {
        ArgumentNullException.ThrowIfNull(pieces);
        using var source = pieces.GetEnumerator();
        var c = new PieceCursor(source);
        try
        {
            return ReadStreamedBody(c);
        }
        catch (JuteException e)
        {
            throw Corrupt($"malformed body: {e.Message}", e);
        }
    }

    /// <summary><see cref="ReadStreamed"/> then <see cref="DataTree.Restore"/>: the checksum is checked before the tree is built.</summary>
    public static DataTree ReadTreeStreamed(IEnumerable<ReadOnlyMemory<byte>> pieces) => Restore(ReadStreamed(pieces));

    private static DataTree Restore(TreeImage image)
    {
        try
        {
            return DataTree.Restore(image, nodesAreFresh: true);
        }
        catch (InvalidOperationException e)
        {
            throw Corrupt($"contents do not form a tree: {e.Message}", e);
        }
    }

    private static TreeImage ReadStreamedBody(PieceCursor c)
    {
        var header = c.Peek(HeaderBytes + 4);
        int version = CheckHeader(header);
        if (version != FormatVersion)
            throw Corrupt($"a streamed snapshot is format {FormatVersion}, not {version}");
        long lastZxid = BinaryPrimitives.ReadInt64BigEndian(header[12..]);
        int nodeCount = BinaryPrimitives.ReadInt32BigEndian(header[20..]);
        int sessionCount = BinaryPrimitives.ReadInt32BigEndian(header[24..]);
        int aclCount = BinaryPrimitives.ReadInt32BigEndian(header[28..]);
        if (nodeCount < 0 || sessionCount < 0 || aclCount < 0)
            throw Corrupt($"header claims {nodeCount} nodes, {sessionCount} sessions and {aclCount} ACL lists");
        c.Consume(HeaderBytes + 4);

        var acls = new AclCache();
        // Arrays grow with what arrives, never to a count the header merely claims.
        var table = new List<IReadOnlyList<Acl>>(Math.Min(aclCount, 1024));
        for (int i = 0; i < aclCount; i++)
        {
            int bytes = c.AclListBytes();
            var r = new JuteReader(c.Peek(bytes));
            table.Add(acls.Intern(AclCodec.ReadList(ref r) ?? throw Corrupt($"ACL list {i} is null")));
            c.Consume(bytes);
        }

        var nodes = new Node[Math.Min(nodeCount, 1 << 20)];
        for (int i = 0; i < nodeCount; i++)
        {
            int bytes = c.NodeBytes();
            var r = new JuteReader(c.Peek(bytes));
            if (i == nodes.Length) Array.Resize(ref nodes, (int)Math.Min((long)nodes.Length * 2, nodeCount));
            nodes[i] = ReadNodeV2(ref r, table, i);
            c.Consume(bytes);
        }
        var sessions = new SessionRecord[Math.Min(sessionCount, 1 << 16)];
        for (int i = 0; i < sessionCount; i++)
        {
            int bytes = c.SessionBytes();
            var r = new JuteReader(c.Peek(bytes));
            if (i == sessions.Length) Array.Resize(ref sessions, (int)Math.Min((long)sessions.Length * 2, sessionCount));
            sessions[i] = ReadSession(ref r);
            c.Consume(bytes);
        }
        if (nodes.Length != nodeCount) Array.Resize(ref nodes, nodeCount);
        if (sessions.Length != sessionCount) Array.Resize(ref sessions, sessionCount);

        uint actual = c.Checksum;
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(c.Peek(TrailerBytes));
        c.Consume(TrailerBytes);
        if (stored != actual) throw Corrupt($"checksum mismatch: stored 0x{stored:x8}, computed 0x{actual:x8} over {c.Offset - TrailerBytes} bytes");
        if (!c.AtEnd()) throw Corrupt("bytes after the trailer");
        return new TreeImage(lastZxid, nodes, sessions);
    }

    private static Node ReadNodeV2(ref JuteReader r, List<IReadOnlyList<Acl>> table, int i)
    {
        string path = r.ReadString() ?? throw Corrupt($"node {i} has a null path");
        byte[]? data = r.ReadBuffer();
        int index = r.ReadInt();
        if ((uint)index >= (uint)table.Count) throw Corrupt($"node {path} refers to ACL list {index} of {table.Count}");
        long czxid = r.ReadLong(), mzxid = r.ReadLong(), ctime = r.ReadLong(), mtime = r.ReadLong();
        int nodeVersion = r.ReadInt(), cversion = r.ReadInt(), aversion = r.ReadInt();
        long owner = r.ReadLong(), pzxid = r.ReadLong();
        return new Node(path, data, table[index], owner, czxid, mzxid, pzxid, ctime, mtime, nodeVersion, cversion, aversion);
    }

    private static SessionRecord ReadSession(ref JuteReader r)
    {
        long id = r.ReadLong();
        int timeoutMs = r.ReadInt();
        byte[] password = r.ReadBuffer() ?? throw Corrupt($"session 0x{id:x} has a null password");
        return new SessionRecord(id, timeoutMs, password);
    }

    /// <summary>
    /// A window over the pieces: <see cref="Peek"/> makes the next bytes contiguous (copying across piece boundaries),
    /// <see cref="Consume"/> moves past them and adds them to the checksum. Grows only when one record is longer than
    /// the window, and then only as far as bytes arrived.
    /// </summary>
    private sealed class PieceCursor(IEnumerator<ReadOnlyMemory<byte>> pieces)
    {
        private byte[] _buf = new byte[1 << 16];
        private int _start;
        private int _end;
        private ReadOnlyMemory<byte> _piece;
        private bool _ended;

        public uint Checksum { get; private set; }
        public long Offset { get; private set; }

        public ReadOnlySpan<byte> Peek(int n)
        {
            if (n < 0) throw Corrupt($"a record of {n} bytes");
            if (_end - _start < n) Fill(n);
            return _buf.AsSpan(_start, n);
        }

        public void Consume(int n)
        {
            Checksum = Crc32C.Append(Checksum, _buf.AsSpan(_start, n));
            _start += n;
            Offset += n;
        }

        /// <summary>Nothing left in the window nor in the pieces.</summary>
        public bool AtEnd() => _start == _end && !NextPiece();

        private bool NextPiece()
        {
            while (_piece.IsEmpty)
            {
                if (_ended || !pieces.MoveNext())
                {
                    _ended = true;
                    return false;
                }
                _piece = pieces.Current;
            }
            return true;
        }

        private void Fill(int n)
        {
            if (_buf.Length - _start < n && _start > 0)
            {
                Buffer.BlockCopy(_buf, _start, _buf, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }
            while (_end - _start < n)
            {
                if (!NextPiece()) throw Corrupt($"truncated: ends {n - (_end - _start)} bytes short of a record at offset {Offset}");
                if (_end == _buf.Length) Array.Resize(ref _buf, (int)Math.Min((long)_buf.Length * 2, Array.MaxLength));
                int take = Math.Min(_buf.Length - _end, _piece.Length);
                _piece.Span[..take].CopyTo(_buf.AsSpan(_end));
                _piece = _piece[take..];
                _end += take;
            }
        }

        private int Int(int at) => BinaryPrimitives.ReadInt32BigEndian(Peek(at + 4)[at..]);

        /// <summary>A length field at <paramref name="at"/> (−1 = null: 0 bytes follow).</summary>
        private long Length(int at, string what)
        {
            int n = Int(at);
            if (n < -1) throw Corrupt($"{what} length {n} at offset {Offset + at} is negative");
            return Math.Max(n, 0);
        }

        private static int Fits(long bytes, string what) =>
            bytes <= int.MaxValue / 2 ? (int)bytes : throw Corrupt($"{what} of {bytes} bytes");

        /// <summary>path, data, then 64 bytes of ACL index and stat.</summary>
        public int NodeBytes()
        {
            long at = 4 + Length(0, "path");
            at = 4 + at + Length(Fits(at, "node"), "data");
            return Fits(at + 64, "node");
        }

        public int SessionBytes() => Fits(16 + Length(12, "password"), "session");

        /// <summary>count, then per entry perms, scheme and id.</summary>
        public int AclListBytes()
        {
            int count = Int(0);
            long at = 4;
            for (int i = 0; i < count; i++)
            {
                at += 4;
                at += 4 + Length(Fits(at, "ACL list"), "ACL scheme");
                at += 4 + Length(Fits(at, "ACL list"), "ACL id");
            }
            return Fits(at, "ACL list");
        }
    }
}
