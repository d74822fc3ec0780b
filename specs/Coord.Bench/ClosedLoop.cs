using System.Diagnostics;
using System.Numerics;
using Coord.Protocol;
using Coord.Protocol.Records;

namespace Coord.Bench;

/// <summary>The measured interval, in Stopwatch ticks. Replies that arrive inside it are counted.</summary>
public readonly record struct MeasureWindow(long StartTicks, long EndTicks);

/// <summary>What one connection saw. Written only by its own loop; read after the loop ends.</summary>
public sealed class ClientTally
{
    public LatencyHistogram Latency { get; } = new();

    /// <summary>Replies received inside the window.</summary>
    public long Completed { get; set; }

    /// <summary>Non-zero reply codes over the whole run (warm-up and drain included).</summary>
    public Dictionary<ErrorCode, long> Errors { get; } = new();
}

/// <summary>
/// Closed loop over one connection: keeps exactly <c>outstanding</c> requests in flight, sending one new
/// request per reply, in batches (one send per received chunk of replies). Replies must come back in
/// request order (the protocol's FIFO guarantee); anything else aborts the run. Latency is measured
/// from the send of the batch holding the request to the receive that completed its reply.
/// </summary>
public static class ClosedLoop
{
    public static async Task RunAsync(BenchConnection conn, RequestSource source, int outstanding,
        MeasureWindow window, ClientTally tally, CancellationToken ct)
    {
        int ring = (int)BitOperations.RoundUpToPowerOf2((uint)outstanding);
        int mask = ring - 1;
        var sentAt = new long[ring];
        var sentOp = new OpCode[ring];
        var w = new JuteWriter(outstanding * 256);
        int nextXid = 1;
        int expectedXid = 1;
        int inFlight = 0;

        long now = Stopwatch.GetTimestamp();
        for (int i = 0; i < outstanding; i++)
        {
            sentOp[nextXid & mask] = source.WriteNext(w, nextXid);
            sentAt[nextXid & mask] = now;
            nextXid++;
            inFlight++;
        }
        await conn.SendAsync(w.WrittenMemory, ct);

        bool stopping = false;
        while (inFlight > 0)
        {
            await conn.ReceiveMoreAsync(ct);
            now = Stopwatch.GetTimestamp();
            bool inWindow = now >= window.StartTicks && now < window.EndTicks;
            stopping |= now >= window.EndTicks;

            int replies = 0;
            while (conn.TryTakeFrame(out var payload))
            {
                var reader = new JuteReader(payload.Span);
                var header = ReplyHeader.Read(ref reader);
                if (header.Xid == Xids.Notification) continue;
                if (header.Xid != expectedXid)
                    throw new IOException($"reply xid {header.Xid} out of order, expected {expectedXid}");
                expectedXid++;
                inFlight--;
                replies++;
                if (header.Err != ErrorCode.Ok)
                {
                    tally.Errors[header.Err] = tally.Errors.GetValueOrDefault(header.Err) + 1;
                }
                else if (source.ReplyBytes(sentOp[header.Xid & mask]) is var expected && expected >= 0 && payload.Length != expected)
                {
                    throw new IOException($"{sentOp[header.Xid & mask]} reply of {payload.Length} bytes, expected {expected}");
                }
                if (inWindow)
                {
                    tally.Latency.Record(now - sentAt[header.Xid & mask]);
                    tally.Completed++;
                }
            }

            if (stopping || replies == 0) continue;
            w.Reset();
            now = Stopwatch.GetTimestamp();
            for (int i = 0; i < replies; i++)
            {
                sentOp[nextXid & mask] = source.WriteNext(w, nextXid);
                sentAt[nextXid & mask] = now;
                nextXid++;
                inFlight++;
            }
            await conn.SendAsync(w.WrittenMemory, ct);
        }
    }
}

/// <summary>
/// A fixed number of requests over one connection with <c>outstanding</c> in flight (the scale workloads'
/// fill and registration phases). Notifications arriving meanwhile go to <paramref name="onNotification"/>.
/// </summary>
public static class CountedLoop
{
    /// <param name="write">Writes request number i (0-based) with the given xid as one complete frame.</param>
    public static async Task RunAsync(BenchConnection conn, int count, int outstanding, Action<JuteWriter, int, int> write,
        LatencyHistogram latency, Dictionary<ErrorCode, long> errors, CancellationToken ct, Action<WatcherEvent>? onNotification = null)
    {
        if (count == 0) return;
        int ring = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(outstanding, 1));
        int mask = ring - 1;
        var sentAt = new long[ring];
        var w = new JuteWriter(outstanding * 128);
        int sent = 0, received = 0;

        void Fill(long now)
        {
            w.Reset();
            while (sent < count && sent - received < outstanding)
            {
                int xid = sent + 1;
                write(w, xid, sent);
                sentAt[xid & mask] = now;
                sent++;
            }
        }

        Fill(Stopwatch.GetTimestamp());
        await conn.SendAsync(w.WrittenMemory, ct);
        while (received < count)
        {
            await conn.ReceiveMoreAsync(ct);
            long now = Stopwatch.GetTimestamp();
            while (conn.TryTakeFrame(out var payload))
            {
                var reader = new JuteReader(payload.Span);
                var header = ReplyHeader.Read(ref reader);
                if (header.Xid == Xids.Notification)
                {
                    onNotification?.Invoke(WatcherEvent.Read(ref reader));
                    continue;
                }
                if (header.Xid != received + 1)
                    throw new IOException($"reply xid {header.Xid} out of order, expected {received + 1}");
                received++;
                if (header.Err != ErrorCode.Ok) errors[header.Err] = errors.GetValueOrDefault(header.Err) + 1;
                latency.Record(now - sentAt[header.Xid & mask]);
            }
            if (sent < count && sent - received < outstanding)
            {
                Fill(Stopwatch.GetTimestamp());
                await conn.SendAsync(w.WrittenMemory, ct);
            }
        }
    }
}
