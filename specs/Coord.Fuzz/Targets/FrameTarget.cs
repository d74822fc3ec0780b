using System.Buffers;
using System.Buffers.Binary;
using Coord.Host.Admin;
using Coord.Host.Connections;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Fuzz;

/// <summary>How one input ended and how far it got.</summary>
/// <param name="Frames">Frames decoded (the ConnectRequest included).</param>
/// <param name="End">Why decoding stopped: the server's reaction to the byte that stopped it.</param>
public readonly record struct FrameOutcome(int Frames, FrameEnd End, OpCode? LastOp = null);

public enum FrameEnd
{
    /// <summary>Every byte consumed (or a partial frame left: the server would wait for the rest).</summary>
    EndOfInput,
    /// <summary>The first four bytes spell a four-letter word: answered, nothing decoded.</summary>
    FourLetterWord,
    /// <summary>A length prefix outside 0..frame-bytes-max: the connection is closed (ClientConnection's ProtocolViolation).</summary>
    FrameLengthRefused,
    /// <summary>A frame the decoder refused with JuteException: the connection is closed with a "malformed request" log line.</summary>
    Malformed,
}

/// <summary>
/// The client frame target: the bytes one client sends on a connection, read the way <c>ClientConnection</c> reads
/// them — four-letter word or 4-byte big-endian length, a length outside 0..frame-bytes-max closes the connection, the
/// first frame is a ConnectRequest (<see cref="RequestDecoder.DecodeConnect"/>), every later one a request header
/// plus the record its opcode calls for (<see cref="RequestDecoder.Decode"/>, through <see cref="RequestRecords"/>).
/// <para>
/// Property: every frame either decodes or throws <see cref="JuteException"/> (what the server catches and turns into a
/// logged close); decoding never allocates far past the frame (<see cref="FuzzBounds"/>); and whatever decodes
/// re-encodes, with the records' own <c>Write</c>, to bytes that decode to an equal value. Anything else escapes as
/// an exception: afl-fuzz records a crash, the replay spec fails.
/// </para>
/// The length-prefix loop restates ClientConnection.TryReadFrame (private to the socket code); the decoders are the
/// server's own.
/// </summary>
public static class FrameTarget
{
    /// <summary>coord.client.frame-bytes-max's default (CoordSettings): the largest frame the server reads.</summary>
    public const int FrameBytesMax = 1_048_575;

    /// <param name="onRequest">Given every request that decoded and round-tripped, in order (the core target's hook).</param>
    public static FrameOutcome Run(ReadOnlySpan<byte> connection, Action<DecodedRequest>? onRequest = null)
    {
        if (connection.Length >= 4 && FourLetterWords.TryParse(new ReadOnlySequence<byte>(connection[..4].ToArray()), out _))
            return new(0, FrameEnd.FourLetterWord);
        int at = 0, frames = 0;
        OpCode? last = null;
        while (connection.Length - at >= 4)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(connection[at..]);
            if (length < 0 || length > FrameBytesMax) return new(frames, FrameEnd.FrameLengthRefused, last);
            if (connection.Length - at - 4 < length) break;
            var payload = connection.Slice(at + 4, length);
            at += 4 + length;
            if (frames == 0)
            {
                if (!TryConnect(payload)) return new(frames, FrameEnd.Malformed, last);
            }
            else
            {
                if (TryRequest(payload) is not { } request) return new(frames, FrameEnd.Malformed, last);
                last = request.Op;
                onRequest?.Invoke(request);
            }
            frames++;
        }
        return new(frames, FrameEnd.EndOfInput, last);
    }

    private static bool TryConnect(ReadOnlySpan<byte> payload)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        ConnectRequest connect;
        try
        {
            connect = RequestDecoder.DecodeConnect(payload);
        }
        catch (JuteException)
        {
            FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, payload.Length, "refused ConnectRequest");
            return false;
        }
        FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, payload.Length, "ConnectRequest");

        var w = new JuteWriter();
        connect.Write(w);
        ConnectRequest again;
        try { again = RequestDecoder.DecodeConnect(w.WrittenSpan); }
        catch (JuteException e) { throw new FuzzFinding($"a re-encoded ConnectRequest does not decode: {e.Message}", e); }
        if (Structural.Difference(connect, again, "ConnectRequest") is { } d)
            throw new FuzzFinding($"a ConnectRequest changed through re-encoding: {d}");
        return true;
    }

    private static DecodedRequest? TryRequest(ReadOnlySpan<byte> payload)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        DecodedRequest request;
        try
        {
            request = RequestDecoder.Decode(payload);
        }
        catch (JuteException)
        {
            FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, payload.Length, "refused request");
            return null;
        }
        FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, payload.Length, $"{request.Op} request");

        var w = new JuteWriter();
        new RequestHeader(request.Xid, request.Op).Write(w);
        switch (request.Record)
        {
            case null: break;
            case SetWatchesRequest s: s.Write(w); break;
            case IJuteWritable j: j.Write(w); break;
            default: throw new FuzzFinding($"a {request.Op} request decoded to a {request.Record.GetType().Name}, which has no encoder");
        }
        DecodedRequest again;
        try { again = RequestDecoder.Decode(w.WrittenSpan); }
        catch (JuteException e) { throw new FuzzFinding($"a re-encoded {request.Op} request does not decode: {e.Message}", e); }
        if (again.Xid != request.Xid || again.Op != request.Op || again.KnownOp != request.KnownOp)
            throw new FuzzFinding($"a request header changed through re-encoding: {request} vs {again}");
        if (Structural.Difference(request.Record, again.Record, $"{request.Op} record") is { } d)
            throw new FuzzFinding($"a {request.Op} request changed through re-encoding: {d}");
        return request;
    }
}
