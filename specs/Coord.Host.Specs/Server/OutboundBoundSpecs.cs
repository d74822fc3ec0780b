using System.Collections.Concurrent;
using Coord.Protocol;
using Coord.Protocol.Records;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Specs.Server;

/// <summary>client.outbound-bytes-max: a client that stops reading is dropped at the bound; nobody else notices.</summary>
public sealed class OutboundBoundSpecs
{
    private const int OutboundBytesMax = 256 * 1024;
    private const int FrameBytesMax = 8192;

    [Fact]
    public async Task A_client_that_stops_reading_under_a_stream_of_events_is_disconnected_at_the_bound_and_others_carry_on()
    {
        var log = new CollectingLoggers();
        await using var s = await InProcessServer.StartAsync(
            d => d with { Client = d.Client with { FrameBytesMax = FrameBytesMax, OutboundBytesMax = OutboundBytesMax } }, log);
        // Long paths make every event ~2 KB, so the kernel's socket buffers fill after a few thousand of them.
        string path = "/" + new string('p', 2000);
        const int Writes = 6000;

        await using var writer = await WireClient.ConnectAsync(s.Port);
        await writer.SendAsync(OpCode.Create, new CreateRequest(path, [0], Acl.OpenAclUnsafe, 0));
        Assert.Equal(ErrorCode.Ok, (await writer.ReadReplyAsync())!.Value.Header.Err);

        await using var stalled = await WireClient.ConnectAsync(s.Port, receiveBufferBytes: 4096);
        await using var honest = await WireClient.ConnectAsync(s.Port);
        foreach (var c in new[] { stalled, honest })
        {
            await c.SendAsync(OpCode.AddWatch, new AddWatchRequest(path, AddWatchMode.Persistent));
            Assert.Equal(ErrorCode.Ok, (await c.ReadReplyAsync())!.Value.Header.Err);
        }
        // From here on nobody reads from `stalled`.

        var honestEvents = Task.Run(async () =>
        {
            int events = 0;
            long lastZxid = 0;
            while (events < Writes)
            {
                var r = await honest.ReadReplyAsync() ?? throw new IOException("honest client was disconnected");
                Assert.Equal(Xids.Notification, r.Header.Xid);
                Assert.True(r.Header.Zxid > lastZxid, "events arrive in zxid order");
                lastZxid = r.Header.Zxid;
                events++;
            }
            return events;
        });
        // Windows of 16 writes: the honest reader's queue never holds more than a window of events, far under the bound.
        const int Window = 16;
        for (int i = 0; i < Writes; i += Window)
        {
            for (int j = 0; j < Window; j++) await writer.SendAsync(OpCode.SetData, new SetDataRequest(path, [1], -1));
            for (int j = 0; j < Window; j++)
                Assert.Equal(ErrorCode.Ok, (await writer.ReadReplyAsync() ?? throw new IOException("writer was disconnected")).Header.Err);
        }

        Assert.Equal(Writes, await honestEvents.WaitAsync(TimeSpan.FromSeconds(60)));

        // The stalled client was dropped once what was queued for it passed the bound, and never held more.
        var overflow = Assert.Single(log.Entries, e => e.EventId == 2002);
        long queued = long.Parse(overflow.Properties["Bytes"]!.ToString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.InRange(queued, OutboundBytesMax + 1, OutboundBytesMax + FrameBytesMax);
        // What the kernel still holds for it drains, then the connection ends.
        var drained = Task.Run(async () =>
        {
            try { while (await stalled.ReadFrameAsync() is not null) { } }
            catch (IOException) { } // reset by the server's abortive close
        });
        await drained.WaitAsync(TimeSpan.FromSeconds(30));
        var cons = await s.WordAsync("cons");
        Assert.Equal(3, cons.Split('\n').Count(l => l.StartsWith(" /", StringComparison.Ordinal))); // writer, honest, and cons itself
    }

    private sealed class CollectingLoggers : ILoggerFactory, ILogger
    {
        public ConcurrentQueue<(int EventId, string Message, IReadOnlyDictionary<string, object?> Properties)> Entries { get; } = new();
        public ILogger CreateLogger(string categoryName) => this;
        public void AddProvider(ILoggerProvider provider) { }
        public void Dispose() { }
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            var props = state is IEnumerable<KeyValuePair<string, object?>> kv ? kv.ToDictionary(p => p.Key, p => p.Value) : new();
            Entries.Enqueue((eventId.Id, formatter(state, exception), props));
        }
    }
}
