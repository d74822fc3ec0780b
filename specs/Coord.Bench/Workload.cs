using System.Globalization;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

public enum Workload
{
    Create,
    Set,
    Get,
    Exists,

    /// <summary>90% getData, 10% setData over the pre-created keys.</summary>
    Mixed,

    /// <summary>Watch fan-out: N watcher sessions re-arm a data watch on one node, one writer sets it.</summary>
    Watch,

    /// <summary>Session churn: connect + closeSession in a loop; one sample per session.</summary>
    Churn,

    /// <summary>Alternating setData / getData with 64 KiB values.</summary>
    Large64k,

    /// <summary>Alternating setData / getData with 1 MiB values (jute.maxbuffer raised on both servers).</summary>
    Large1m,

    /// <summary>Fill with --znodes nodes of 100 B: RSS per znode, then restart-to-serving time.</summary>
    Znodes1m,

    /// <summary>Open --sessions sessions: RSS per session, time to open, all alive by ping.</summary>
    Sessions10k,

    /// <summary>Register --watches data watches over sessions × nodes: RSS per watch, fire a subset.</summary>
    Watches1m,
}

public static class WorkloadNames
{
    public static string Name(this Workload w) => w switch
    {
        Workload.Create => "create",
        Workload.Set => "set",
        Workload.Get => "get",
        Workload.Exists => "exists",
        Workload.Mixed => "mixed",
        Workload.Watch => "watch",
        Workload.Churn => "churn",
        Workload.Large64k => "large64k",
        Workload.Large1m => "large1m",
        Workload.Znodes1m => "znodes1m",
        Workload.Sessions10k => "sessions10k",
        Workload.Watches1m => "watches1m",
        _ => throw new ArgumentOutOfRangeException(nameof(w), w, null),
    };

    public static Workload? Parse(string name) => name switch
    {
        "create" => Workload.Create,
        "set" => Workload.Set,
        "get" => Workload.Get,
        "exists" => Workload.Exists,
        "mixed" => Workload.Mixed,
        "watch" => Workload.Watch,
        "churn" => Workload.Churn,
        "large64k" => Workload.Large64k,
        "large1m" => Workload.Large1m,
        "znodes1m" => Workload.Znodes1m,
        "sessions10k" => Workload.Sessions10k,
        "watches1m" => Workload.Watches1m,
        _ => null,
    };

    public const string All = "create,set,get,exists,mixed,watch,churn,large64k,large1m,znodes1m,sessions10k,watches1m";

    /// <summary>The five request-stream workloads every driver (raw, client, java) can run.</summary>
    public static bool IsBasic(this Workload w) => w <= Workload.Mixed;

    /// <summary>
    /// Workloads that get a fresh server per run in --compare: the scale ones fill it up; create does too (10 s
    /// of creates at Coord's rate is over a million znodes, and after a few such runs a stock-heap ZooKeeper
    /// spends its time in GC: in one full run its 16×64 create fell to 2,138/s with p99 5 s, which measured
    /// the leftovers of earlier rows, not the server); and large1m can take a stock-heap ZooKeeper down (its
    /// in-memory committed log holds 500 proposals: 500 MiB of 1 MiB values against -Xmx1000m), which must
    /// not end the rest of the round.
    /// </summary>
    public static bool IsIsolated(this Workload w) =>
        w is Workload.Create or Workload.Znodes1m or Workload.Sessions10k or Workload.Watches1m or Workload.Large1m;

    /// <summary>Value size of the large-value workloads (null: --value-bytes).</summary>
    public static int? LargeValueBytes(this Workload w) => w switch
    {
        Workload.Large64k => 64 * 1024,
        Workload.Large1m => 1024 * 1024,
        _ => null,
    };
}

/// <summary>
/// The node layout a run uses: <c>/bench-LABEL/cI/nN</c> for creates (client I, counter N) and
/// <c>/bench-LABEL/data/kNNNNNN</c> for the pre-created keys that set/get/exists/mixed address.
/// </summary>
public sealed class NodeLayout(string label, int keys)
{
    public string Root { get; } = $"/bench-{label}";
    public string DataRoot => $"{Root}/data";
    public int Keys { get; } = keys;

    public string ClientRoot(int client) => string.Create(CultureInfo.InvariantCulture, $"{Root}/c{client}");
    public string Key(int key) => string.Create(CultureInfo.InvariantCulture, $"{DataRoot}/k{key:D6}");
}

/// <summary>
/// Encodes one client's request stream straight into a <see cref="JuteWriter"/>. Bodies that only
/// depend on the key are encoded once up front, so the hot path copies bytes and formats one number;
/// nothing is allocated per request. Not thread-safe: one instance per connection.
/// </summary>
public sealed class RequestSource
{
    private readonly Workload _workload;
    private readonly int _client;
    private readonly int _clients;
    private readonly byte[][] _readBodies; // exists and getData share a layout
    private readonly byte[][] _setBodies;
    private readonly byte[] _createPrefix;
    private readonly byte[] _createSuffix;
    private readonly long[] _createCounters;
    private long _sequence;

    /// <param name="createCounters">Per-client create counters shared by every run against one server,
    /// so repeated create runs never reuse a path.</param>
    public RequestSource(Workload workload, int client, int clients, NodeLayout layout, byte[] value, long[] createCounters)
    {
        _workload = workload;
        _client = client;
        _clients = clients;
        _createCounters = createCounters;
        _valueLength = value.Length;
        bool keyed = workload != Workload.Create;
        int keys = keyed ? layout.Keys : 0;
        _readBodies = new byte[keys][];
        _setBodies = new byte[keys][];
        var w = new JuteWriter(256 + value.Length);
        for (int k = 0; k < keys; k++)
        {
            string path = layout.Key(k);
            _readBodies[k] = Encode(w, new PathWatchRequest(path, false));
            _setBodies[k] = Encode(w, new SetDataRequest(path, value, -1));
        }

        _createPrefix = System.Text.Encoding.UTF8.GetBytes(layout.ClientRoot(client) + "/n");
        w.Reset();
        w.WriteBuffer(value);
        w.WriteVector(Acl.OpenAclUnsafe);
        w.WriteInt(0); // flags: persistent
        _createSuffix = w.ToArray();
    }

    private static byte[] Encode(JuteWriter w, IJuteWritable record)
    {
        w.Reset();
        record.Write(w);
        return w.ToArray();
    }

    /// <summary>
    /// The exact payload length of a successful reply to <paramref name="op"/> (header 16 + body), or -1
    /// when it varies (create returns the path). The closed loop checks it, so a server that answers
    /// without returning the data cannot look fast.
    /// </summary>
    public int ReplyBytes(OpCode op) => op switch
    {
        OpCode.GetData => 16 + 4 + _valueLength + StatBytes,
        OpCode.SetData or OpCode.Exists => 16 + StatBytes,
        _ => -1,
    };

    private const int StatBytes = 68;
    private readonly int _valueLength;

    /// <summary>Appends the next request of the stream as a complete frame; returns its opcode.</summary>
    public OpCode WriteNext(JuteWriter w, int xid)
    {
        long seq = _sequence++;
        OpCode op;
        int key = _readBodies.Length == 0 ? 0 : (int)((seq * _clients + _client) % _readBodies.Length);
        int frame = w.BeginFrame();
        w.WriteInt(xid);
        switch (_workload)
        {
            case Workload.Create:
                op = OpCode.Create;
                w.WriteInt((int)op);
                WriteCreateBody(w);
                break;
            case Workload.Set:
                op = OpCode.SetData;
                w.WriteInt((int)op);
                w.WriteRaw(_setBodies[key]);
                break;
            case Workload.Get:
                op = OpCode.GetData;
                w.WriteInt((int)op);
                w.WriteRaw(_readBodies[key]);
                break;
            case Workload.Exists:
                op = OpCode.Exists;
                w.WriteInt((int)op);
                w.WriteRaw(_readBodies[key]);
                break;
            case Workload.Mixed when seq % 10 == 9:
                op = OpCode.SetData;
                w.WriteInt((int)op);
                w.WriteRaw(_setBodies[key]);
                break;
            case Workload.Mixed:
                op = OpCode.GetData;
                w.WriteInt((int)op);
                w.WriteRaw(_readBodies[key]);
                break;
            case Workload.Large64k or Workload.Large1m when seq % 2 == 0:
                op = OpCode.SetData;
                w.WriteInt((int)op);
                w.WriteRaw(_setBodies[key]);
                break;
            case Workload.Large64k or Workload.Large1m:
                op = OpCode.GetData;
                w.WriteInt((int)op);
                w.WriteRaw(_readBodies[key]);
                break;
            default:
                throw new InvalidOperationException($"unknown workload {_workload}");
        }
        w.EndFrame(frame);
        return op;
    }

    private void WriteCreateBody(JuteWriter w)
    {
        long n = _createCounters[_client]++;
        Span<byte> digits = stackalloc byte[20];
        if (!n.TryFormat(digits, out int len, default, CultureInfo.InvariantCulture))
            throw new InvalidOperationException("create counter does not fit");
        w.WriteInt(_createPrefix.Length + len); // ustring length: the path is ASCII
        w.WriteRaw(_createPrefix);
        w.WriteRaw(digits[..len]);
        w.WriteRaw(_createSuffix);
    }
}
