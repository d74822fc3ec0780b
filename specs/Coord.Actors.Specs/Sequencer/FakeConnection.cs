using System.Threading.Channels;
using Coord.Actors.Sessions;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Actors.Specs.Sequencer;

/// <summary>An in-memory client connection: records the frames the server sends, in order.</summary>
internal sealed class FakeConnection(string ip = "127.0.0.1") : IClientConnection
{
    private static long _ids;
    private readonly Channel<byte[]> _frames = Channel.CreateUnbounded<byte[]>();
    private readonly TaskCompletionSource<Akka.Actor.IActorRef> _established = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource<string> _closed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Id { get; } = Interlocked.Increment(ref _ids);
    public string RemoteIp => ip;
    public Task<Akka.Actor.IActorRef> EstablishedTask => _established.Task;
    public Task<string> ClosedTask => _closed.Task;
    public bool IsClosed => _closed.Task.IsCompleted;

    /// <summary>Makes the next <see cref="Send"/> throw, as a connection broken in an unexpected way would.</summary>
    public volatile bool FailNextSend;

    public void Send(ReadOnlySpan<byte> frame, bool completesRequest)
    {
        if (FailNextSend)
        {
            FailNextSend = false;
            throw new InvalidOperationException("connection broke in a way nobody planned for");
        }
        _frames.Writer.TryWrite(frame.ToArray());
    }
    public void Flush() { }
    public void Close(string reason) => _closed.TrySetResult(reason);
    public void Established(long sessionId, Akka.Actor.IActorRef session) => _established.TrySetResult(session);

    public async Task<byte[]> NextFrameAsync()
    {
        var frame = await _frames.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(5));
        return frame[4..];
    }

    public bool TryNextFrame(out byte[] payload)
    {
        if (_frames.Reader.TryRead(out var f)) { payload = f[4..]; return true; }
        payload = [];
        return false;
    }

    public async Task<ConnectResponse> NextConnectResponseAsync()
    {
        var payload = await NextFrameAsync();
        var r = new JuteReader(payload);
        return ConnectResponse.Read(ref r);
    }

    /// <summary>Next reply or event: header plus the reader positioned at the body.</summary>
    public async Task<(ReplyHeader Header, byte[] Body)> NextReplyAsync()
    {
        var payload = await NextFrameAsync();
        var r = new JuteReader(payload);
        var h = ReplyHeader.Read(ref r);
        return (h, payload[ReplyHeader.WireBytes..]);
    }

    public static T Body<T>(byte[] body) where T : IJuteRecord<T>
    {
        var r = new JuteReader(body);
        return T.Read(ref r);
    }
}
