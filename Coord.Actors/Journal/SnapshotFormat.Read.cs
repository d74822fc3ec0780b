using System.Buffers.Binary;
using Coord.Actors.Tree;
using Coord.Actors.Txns;
using Coord.Protocol;

namespace Coord.Actors.Journal;

/// <summary>
/// Reading snapshots of both versions. Version 1 (written by builds before format 2; users' data folders
/// hold them) differs only in the node's ACL, stored inline as a vector&lt;Acl&gt; instead of an index into
/// an ACL table that follows the header, and in node order, which reading does not depend on.
/// </summary>
public static partial class SnapshotFormat
{
    // Smallest encodings, to reject counts that cannot fit before allocating for them. A v1 node's empty ACL
    // vector and a v2 node's ACL index are both 4 bytes.
    private const int NodeBytesMin = 5 + 4 + 4 + 4 * 8 + 3 * 4 + 8 + 8;
    private const int SessionBytesMin = 8 + 4 + 4;
    private const int AclListBytesMin = 4;

    /// <summary>The last zxid a snapshot claims, from its header alone (no checksum check).</summary>
    public static long ReadLastZxid(ReadOnlySpan<byte> header)
    {
        CheckHeader(header);
        return BinaryPrimitives.ReadInt64BigEndian(header[12..]);
    }

    /// <summary>The format version in a snapshot's header (checked: one this server reads).</summary>
    public static int ReadFormatVersion(ReadOnlySpan<byte> header) => CheckHeader(header);

    /// <summary>Parses and checks a whole snapshot. Bad input of any kind throws <see cref="SnapshotCorruptException"/>.</summary>
    public static TreeImage Read(ReadOnlySpan<byte> bytes)
    {
        int version = CheckHeader(bytes);
        if (bytes.Length < HeaderBytes + TrailerBytes) throw Corrupt($"truncated: {bytes.Length} bytes, less than a header and trailer");
        var covered = bytes[..^TrailerBytes];
        uint stored = BinaryPrimitives.ReadUInt32BigEndian(bytes[^TrailerBytes..]);
        uint actual = Crc32C.Compute(covered);
        if (stored != actual) throw Corrupt($"checksum mismatch: stored 0x{stored:x8}, computed 0x{actual:x8} over {covered.Length} bytes");
        try
        {
            return ReadBody(covered, version);
        }
        catch (JuteException e)
        {
            throw Corrupt($"malformed body: {e.Message}", e);
        }
    }

    /// <summary><see cref="Read"/> then <see cref="DataTree.Restore"/>; contents that cannot form a tree are corrupt too.</summary>
    public static DataTree ReadTree(ReadOnlySpan<byte> bytes)
    {
        var image = Read(bytes);
        try
        {
            // The image's nodes were made by Read and are held by nothing else: the tree may adopt them.
            return DataTree.Restore(image, nodesAreFresh: true);
        }
        catch (InvalidOperationException e)
        {
            throw Corrupt($"contents do not form a tree: {e.Message}", e);
        }
    }

    private static int CheckHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < HeaderBytes) throw Corrupt($"truncated: {bytes.Length} bytes, less than the {HeaderBytes}-byte header");
        if (!bytes[..Magic.Length].SequenceEqual(Magic)) throw Corrupt("not a Coord snapshot: magic is not COORDSNP");
        int version = BinaryPrimitives.ReadInt32BigEndian(bytes[8..]);
        if (version is not (FormatVersion1 or FormatVersion))
            throw Corrupt($"format version {version} is not supported (this server reads {FormatVersion1} and {FormatVersion}); " +
                "a newer build wrote it, so run that build or let this server sync from the ensemble");
        return version;
    }

    private static TreeImage ReadBody(ReadOnlySpan<byte> covered, int version)
    {
        var r = new JuteReader(covered);
        r.ReadLong();
        r.ReadInt();
        long lastZxid = r.ReadLong();
        int nodeCount = r.ReadInt();
        int sessionCount = r.ReadInt();
        if (nodeCount < 0 || sessionCount < 0
            || (long)nodeCount * NodeBytesMin + (long)sessionCount * SessionBytesMin > r.Remaining)
            throw Corrupt($"header claims {nodeCount} nodes and {sessionCount} sessions, more than {r.Remaining} bytes can hold");

        // Interned while reading: most nodes share a handful of ACL lists.
        var acls = new AclCache();
        IReadOnlyList<Acl>[]? table = null;
        if (version >= 2)
        {
            int aclCount = r.ReadInt();
            if (aclCount < 0 || (long)aclCount * AclListBytesMin > r.Remaining)
                throw Corrupt($"header claims {aclCount} ACL lists, more than {r.Remaining} bytes can hold");
            table = new IReadOnlyList<Acl>[aclCount];
            for (int i = 0; i < aclCount; i++)
                table[i] = acls.Intern(AclCodec.ReadList(ref r) ?? throw Corrupt($"ACL list {i} is null"));
        }

        var nodes = new Node[nodeCount];
        for (int i = 0; i < nodeCount; i++)
        {
            string path = r.ReadString() ?? throw Corrupt($"node {i} has a null path");
            byte[]? data = r.ReadBuffer();
            IReadOnlyList<Acl> acl;
            if (table is null)
            {
                acl = acls.Intern(AclCodec.ReadList(ref r) ?? throw Corrupt($"node {path} has a null ACL"));
            }
            else
            {
                int index = r.ReadInt();
                if ((uint)index >= (uint)table.Length) throw Corrupt($"node {path} refers to ACL list {index} of {table.Length}");
                acl = table[index];
            }
            long czxid = r.ReadLong(), mzxid = r.ReadLong(), ctime = r.ReadLong(), mtime = r.ReadLong();
            int nodeVersion = r.ReadInt(), cversion = r.ReadInt(), aversion = r.ReadInt();
            long owner = r.ReadLong(), pzxid = r.ReadLong();
            nodes[i] = new Node(path, data, acl, owner, czxid, mzxid, pzxid, ctime, mtime, nodeVersion, cversion, aversion);
        }
        var sessions = new SessionRecord[sessionCount];
        for (int i = 0; i < sessionCount; i++)
        {
            long id = r.ReadLong();
            int timeoutMs = r.ReadInt();
            byte[] password = r.ReadBuffer() ?? throw Corrupt($"session 0x{id:x} has a null password");
            sessions[i] = new SessionRecord(id, timeoutMs, password);
        }
        if (!r.AtEnd) throw Corrupt($"{r.Remaining} bytes after the last session");
        return new TreeImage(lastZxid, nodes, sessions);
    }

    private static SnapshotCorruptException Corrupt(string what, Exception? inner = null) => new($"corrupt snapshot: {what}", inner);
}
