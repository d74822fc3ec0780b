using BenchmarkDotNet.Attributes;
using Coord.Protocol;
using Coord.Protocol.Records;
using Coord.Host.Connections;

namespace Coord.Micro;

/// <summary>
/// Jute encode/decode of the commonest frames: what a client sends (create, getData, setData) as the
/// server decodes it, and what the server writes back (a reply header plus Stat / getData body).
/// </summary>
[MemoryDiagnoser]
public class CodecBenchmarks
{
    private static readonly Stat SomeStat = new(0x1_0000_0001, 0x1_0000_0009, 1_700_000_000_000, 1_700_000_000_500, 7, 3, 0, 0, 32, 2, 0x1_0000_0005);
    private readonly byte[] _data = new byte[32];
    private readonly JuteWriter _w = new(4096);
    private byte[] _createFrame = [];
    private byte[] _getDataFrame = [];
    private byte[] _setDataFrame = [];
    private byte[] _statBytes = [];

    [GlobalSetup]
    public void Setup()
    {
        _createFrame = Frame(OpCode.Create, new CreateRequest("/app/service/member-0000000042", _data, Acl.OpenAclUnsafe, 0));
        _getDataFrame = Frame(OpCode.GetData, new PathWatchRequest("/app/service/member-0000000042", true));
        _setDataFrame = Frame(OpCode.SetData, new SetDataRequest("/app/service/member-0000000042", _data, 7));
        var w = new JuteWriter();
        SomeStat.Write(w);
        _statBytes = w.ToArray();
    }

    private static byte[] Frame(OpCode op, IJuteWritable record)
    {
        var w = new JuteWriter();
        new RequestHeader(42, op).Write(w);
        record.Write(w);
        return w.ToArray();
    }

    [Benchmark] public DecodedRequest DecodeCreate() => RequestDecoder.Decode(_createFrame);
    [Benchmark] public DecodedRequest DecodeGetData() => RequestDecoder.Decode(_getDataFrame);
    [Benchmark] public DecodedRequest DecodeSetData() => RequestDecoder.Decode(_setDataFrame);

    [Benchmark]
    public int EncodeCreateRequest()
    {
        _w.Reset();
        new RequestHeader(42, OpCode.Create).Write(_w);
        new CreateRequest("/app/service/member-0000000042", _data, Acl.OpenAclUnsafe, 0).Write(_w);
        return _w.Length;
    }

    [Benchmark]
    public int EncodeGetDataReply()
    {
        _w.Reset();
        int frame = _w.BeginFrame();
        new ReplyHeader(42, 0x1_0000_0009, ErrorCode.Ok).Write(_w);
        new GetDataResponse(_data, SomeStat).Write(_w);
        _w.EndFrame(frame);
        return _w.Length;
    }

    [Benchmark]
    public int EncodeSetDataReply()
    {
        _w.Reset();
        int frame = _w.BeginFrame();
        new ReplyHeader(42, 0x1_0000_0009, ErrorCode.Ok).Write(_w);
        new StatResponse(SomeStat).Write(_w);
        _w.EndFrame(frame);
        return _w.Length;
    }

    [Benchmark]
    public Stat DecodeStat()
    {
        var r = new JuteReader(_statBytes);
        return Stat.Read(ref r);
    }
}
