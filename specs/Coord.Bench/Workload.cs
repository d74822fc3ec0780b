using System.Globalization;
using Coord.Client.Protocol;
using Coord.Client.Protocol.Records;

namespace Coord.Bench;

public enum Workload
{
    Create,
    Set,
    Get,
    Exists,

    /// <summary>90% getData, 10% setData over the pre-created keys.</summary>
    Mixed,
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
        _ => throw new ArgumentOutOfRangeException(nameof(w), w, null),
    };

    public static Workload? Parse(string name) => name switch
    {
        "create" => Workload.Create,
        "set" => Workload.Set,
        "get" => Workload.Get,
        "exists" => Workload.Exists,
        "mixed" => Workload.Mixed,
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

    /// <summary>Appends the next request of the stream as a complete frame.</summary>
    public void WriteNext(JuteWriter w, int xid)
    {
        long seq = _sequence++;
        int key = _readBodies.Length == 0 ? 0 : (int)((seq * _clients + _client) % _readBodies.Length);
        int frame = w.BeginFrame();
        w.WriteInt(xid);
        switch (_workload)
        {
            case Workload.Create:
                w.WriteInt((int)OpCode.Create);
                WriteCreateBody(w);
                break;
            case Workload.Set:
                w.WriteInt((int)OpCode.SetData);
                w.WriteRaw(_setBodies[key]);
                break;
            case Workload.Get:
                w.WriteInt((int)OpCode.GetData);
                w.WriteRaw(_readBodies[key]);
                break;
            case Workload.Exists:
                w.WriteInt((int)OpCode.Exists);
                w.WriteRaw(_readBodies[key]);
                break;
            case Workload.Mixed when seq % 10 == 9:
                w.WriteInt((int)OpCode.SetData);
                w.WriteRaw(_setBodies[key]);
                break;
            case Workload.Mixed:
                w.WriteInt((int)OpCode.GetData);
                w.WriteRaw(_readBodies[key]);
                break;
            default:
                throw new InvalidOperationException($"unknown workload {_workload}");
        }
        w.EndFrame(frame);
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
