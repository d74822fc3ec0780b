using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Coord.Actors.Journal;
using Coord.Actors.Sequencer;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Host.Admin;
using Coord.Host.Connections;
using Microsoft.Extensions.Logging;

namespace Coord.Host;

/// <summary>
/// The composition root of a standalone server: the sequencer actor, the client listener, the tick timer.
/// Start with <see cref="StartAsync"/>, stop with <see cref="DisposeAsync"/> (closes the listener, then the
/// connections, then stops the actors).
/// </summary>
public sealed partial class CoordServer : IAsyncDisposable
{
    private readonly CoordSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionRegistry _connections = new();
    private readonly ServerStats _stats = new();
    private readonly List<Task> _connectionTasks = new();
    private readonly Lock _tasksGate = new();
    private Socket? _listener;
    private SequencerActor? _sequencer;
    private FourLetterWords? _words;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _tickLoop = Task.CompletedTask;
    private IJournal? _journal;
    private DataDirLock? _dataLock;

    private readonly Func<string, ILogger, IJournal> _openJournal;

    /// <param name="openJournal">Opens the journal in a data folder; the SQLite journal unless a spec injects faults.</param>
    public CoordServer(CoordSettings settings, ILoggerFactory loggers, Func<string, ILogger, IJournal>? openJournal = null)
    {
        _settings = settings;
        _loggers = loggers;
        _log = loggers.CreateLogger("Coord.Server");
        _openJournal = openJournal ?? ((dir, log) => SqliteJournal.Open(dir, log));
    }

    /// <summary>What recovery found at start-up.</summary>
    public RecoveryResult? Recovered { get; private set; }

    /// <summary>The bound client endpoint (the real port when the configured port was 0).</summary>
    public IPEndPoint ClientEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    /// <summary>Completes if the sequencer stops on a fatal error (the host then exits non-zero).</summary>
    public Task Failed => _sequencer?.Failed ?? Task.Delay(Timeout.Infinite);

    public async Task StartAsync()
    {
        Directory.CreateDirectory(_settings.DataDir);
        _dataLock = DataDirLock.Acquire(_settings.DataDir);
        var clock = new SystemClock();
        // Recovery: the newest valid snapshot plus the journal after it. A journal or snapshot that cannot be
        // trusted stops the start with an exception that says what was found and what to do.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var journalLog = _loggers.CreateLogger("Coord.Journal");
        _journal = _openJournal(_settings.DataDir, journalLog);
        var snapshots = new SnapshotStore(Path.Combine(_settings.DataDir, "snapshots"), journalLog);
        try
        {
            Recovered = Recovery.Recover(snapshots, _journal, journalLog);
        }
        catch
        {
            await _journal.DisposeAsync();
            _journal = null;
            _dataLock.Dispose();
            _dataLock = null;
            throw;
        }
        var tree = Recovered.Tree;
        LogRecovered(_log, Recovered.SnapshotZxid, Recovered.TxnsReplayed, Recovered.LastZxid, tree.NodeCount,
            tree.Sessions.Count, started.ElapsedMilliseconds);
        var options = new SequencerOptions
        {
            ServerId = _settings.ServerId,
            TickMs = _settings.TickMs,
            SessionTimeoutMsMin = _settings.Session.TimeoutMsMin,
            SessionTimeoutMsMax = _settings.Session.TimeoutMsMax,
            SessionsMax = _settings.Session.SessionsMax,
            ExtendedTypesEnabled = _settings.Znode.ExtendedTypesEnabled,
            SuperDigest = _settings.Auth.SuperDigest,
            ExistsRequiresRead = _settings.Auth.ExistsRequiresRead,
            ContainerCheckIntervalMs = _settings.Znode.ContainerCheckIntervalMs,
            ContainerMaxPerMinute = _settings.Znode.ContainerMaxPerMinute,
            SnapshotEveryTxns = _settings.Snapshot.EveryTxns,
            SnapshotEveryBytes = (long)_settings.Snapshot.EveryMib << 20,
            SnapshotRetain = _settings.Snapshot.Retain,
            SnapshotMinTxnsPerNode = _settings.Snapshot.MinTxnsPerZnode,
        };
        _sequencer = new SequencerActor(options, clock, _journal, tree,
            SequencerActor.FirstSessionId(clock.WallMs, _settings.ServerId),
            () => RandomNumberGenerator.GetBytes(16), _loggers.CreateLogger("Coord.Sequencer"), snapshots);

        var address = IPAddress.TryParse(_settings.Client.Host, out var ip)
            ? ip
            : Dns.GetHostAddresses(_settings.Client.Host).First();
        _listener = new Socket(address.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        _listener.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
        _listener.Bind(new IPEndPoint(address, _settings.Client.Port));
        _listener.Listen(_settings.Client.ListenBacklog);

        var facts = new ServerFacts(ClientEndPoint.Port, Path.GetFullPath(_settings.DataDir), _settings.TickMs,
            _settings.Client.ConnectionsPerIpMax, _settings.Session.TimeoutMsMin, _settings.Session.TimeoutMsMax,
            _settings.Client.ListenBacklog, _settings.ServerId, _settings.FourLetterWords.Whitelist.ToHashSet());
        _words = new FourLetterWords(_sequencer, _connections, _stats, facts);
        _acceptLoop = AcceptLoopAsync();
        _tickLoop = TickLoopAsync();
        LogServing(_log, ClientEndPoint.ToString(), _settings.DataDir);
    }

    private async Task AcceptLoopAsync()
    {
        var limits = new ConnectionLimits(_settings.Client.FrameBytesMax, _settings.Client.OutstandingRequestsMax);
        var connLog = _loggers.CreateLogger("Coord.Connection");
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener!.AcceptAsync(_stopping.Token); }
            catch (OperationCanceledException) { break; }
            catch (SocketException ex) { LogAcceptFailed(_log, ex.Message); continue; }
            catch (ObjectDisposedException) { break; }
            socket.NoDelay = true;
            var connection = new ClientConnection(socket, _sequencer!, limits, _stats, _words!, connLog);
            if (!_connections.TryAdd(connection, _settings.Client.ConnectionsPerIpMax))
            {
                LogTooManyConnections(_log, connection.RemoteIp, _settings.Client.ConnectionsPerIpMax);
                socket.Dispose();
                continue;
            }
            var task = ServeAsync(connection);
            lock (_tasksGate)
            {
                _connectionTasks.RemoveAll(t => t.IsCompleted);
                _connectionTasks.Add(task);
            }
        }
    }

    private async Task ServeAsync(ClientConnection connection)
    {
        await Task.Yield();
        try { await connection.RunAsync(_stopping.Token); }
        catch (Exception ex) { LogConnectionFailed(_log, connection.RemoteEndPoint, ex); }
        finally { _connections.Remove(connection); }
    }

    /// <summary>Session expiry is checked several times per tick so a session ends close to its bucket's end.</summary>
    private async Task TickLoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(Math.Max(10, _settings.TickMs / 4)));
        try
        {
            while (await timer.WaitForNextTickAsync(_stopping.Token)) _sequencer!.Tell(TickElapsed.Instance);
        }
        catch (OperationCanceledException) { }
    }

    public async ValueTask DisposeAsync()
    {
        if (_stopping.IsCancellationRequested) return;
        LogStopping(_log);
        _stopping.Cancel();
        _listener?.Dispose();
        await _acceptLoop;
        await _tickLoop;
        Task[] tasks;
        lock (_tasksGate) tasks = _connectionTasks.ToArray();
        await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(5)).ContinueWith(_ => { });
        _sequencer?.Stop();
        if (_journal is not null) await _journal.DisposeAsync();
        _dataLock?.Dispose();
        LogStopped(_log);
    }

    [LoggerMessage(EventId = 3006, Level = LogLevel.Information,
        Message = "Recovered: snapshot at 0x{SnapshotZxid:x}, {Replayed} txns replayed to 0x{LastZxid:x}; {Nodes} nodes, {Sessions} sessions, in {Ms} ms")]
    private static partial void LogRecovered(ILogger log, long snapshotZxid, int replayed, long lastZxid, int nodes, int sessions, long ms);

    [LoggerMessage(EventId = 3000, Level = LogLevel.Information, Message = "Serving clients on {EndPoint}, data in {DataDir}")]
    private static partial void LogServing(ILogger log, string endPoint, string dataDir);

    [LoggerMessage(EventId = 3001, Level = LogLevel.Warning, Message = "Accept failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger log, string reason);

    [LoggerMessage(EventId = 3002, Level = LogLevel.Warning, Message = "Refused a connection from {Ip}: connections-per-ip-max ({Max}) reached")]
    private static partial void LogTooManyConnections(ILogger log, string ip, int max);

    [LoggerMessage(EventId = 3003, Level = LogLevel.Error, Message = "Connection from {Remote} failed")]
    private static partial void LogConnectionFailed(ILogger log, string remote, Exception error);

    [LoggerMessage(EventId = 3004, Level = LogLevel.Information, Message = "Stopping")]
    private static partial void LogStopping(ILogger log);

    [LoggerMessage(EventId = 3005, Level = LogLevel.Information, Message = "Stopped")]
    private static partial void LogStopped(ILogger log);
}

/// <summary>The system clock: monotonic from the tick counter, wall from UTC now.</summary>
public sealed class SystemClock : IClock
{
    public long MonotonicMs => Environment.TickCount64;
    public long WallMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds();
}
