using System.Buffers.Binary;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Client.Sessions;

/// <summary>Turns a reply (its error code and body) into a call's result, or throws the call's exception.</summary>
internal delegate T ReplyParser<T>(ErrorCode err, ref JuteReader body);

/// <summary>
/// One request on its way: its frame (built by the caller, xid patched in by the session loop), what to do in
/// the loop when its reply arrives (watch registration), and the task the caller awaits. A cancelled call stays
/// in the in-flight queue so that replies still match xids in FIFO order; its reply is dropped.
/// </summary>
internal abstract class PendingCall(OpCode op, byte[] frame, string? path)
{
    public OpCode Op { get; } = op;
    public byte[] Frame { get; } = frame;
    public string? Path { get; } = path;
    public int Xid { get; private set; }

    /// <summary>Runs in the session loop before the call completes (e.g. registers a watch); gets the reply's code.</summary>
    public Action<ErrorCode>? OnReplyInLoop { get; init; }

    public abstract bool IsDone { get; }

    public void AssignXid(int xid)
    {
        Xid = xid;
        BinaryPrimitives.WriteInt32BigEndian(Frame.AsSpan(4, 4), xid);
    }

    public abstract void Complete(ReplyHeader header, ReadOnlySpan<byte> body);
    public abstract void Fail(Exception error);

    /// <summary>A frame: length, request header (xid 0 until assigned), body.</summary>
    public static byte[] BuildFrame(OpCode op, IJuteWritable? body) => BuildFrameWithXid(0, op, body);

    /// <summary>A frame with a fixed xid (pings, auth, setWatches).</summary>
    public static byte[] BuildFrameWithXid(int xid, OpCode op, IJuteWritable? body)
    {
        var w = new JuteWriter(64);
        int start = w.BeginFrame();
        new RequestHeader(xid, op).Write(w);
        body?.Write(w);
        w.EndFrame(start);
        return w.ToArray();
    }
}

internal sealed class PendingCall<T> : PendingCall
{
    private readonly TaskCompletionSource<T> tcs = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ReplyParser<T> parser;
    private readonly CancellationToken ct;
    private CancellationTokenRegistration registration;

    public PendingCall(OpCode op, IJuteWritable? body, string? path, ReplyParser<T> parser, CancellationToken ct)
        : base(op, BuildFrame(op, body), path)
    {
        this.parser = parser;
        this.ct = ct;
        if (ct.CanBeCanceled)
            registration = ct.Register(static s => ((PendingCall<T>)s!).Cancel(), this);
    }

    public Task<T> Task => tcs.Task;
    public override bool IsDone => tcs.Task.IsCompleted;

    private void Cancel() => tcs.TrySetCanceled(ct);

    public override void Complete(ReplyHeader header, ReadOnlySpan<byte> body)
    {
        if (IsDone) return;
        try
        {
            var reader = new JuteReader(body);
            tcs.TrySetResult(parser(header.Err, ref reader));
        }
        catch (Exception e)
        {
            tcs.TrySetException(e);
        }
        finally
        {
            registration.Dispose();
        }
    }

    public override void Fail(Exception error)
    {
        tcs.TrySetException(error);
        registration.Dispose();
    }
}
