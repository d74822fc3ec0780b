using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using Akka;
using Akka.Actor;
using Akka.Configuration;
using AkkaConfig = Akka.Configuration.Config;
using Coord.Actors.Applier;
using Coord.Actors.Core;
using Coord.Actors.Journal;
using Coord.Actors.Settings;
using Coord.Actors.Time;
using Coord.Actors.Tree;
using Coord.Host.Admin;
using Coord.Host.Admin.Http;
using Coord.Host.Connections;
using Coord.Host.Ensemble;
using Microsoft.Extensions.Logging;

namespace Coord.Host;

/// <summary>
/// The composition root of a standalone server: one ActorSystem holding the core (journal, applier with its
/// session actors, sequencer), the client listener, the tick timer. Start with <see cref="StartAsync"/>; stop
/// with <see cref="DisposeAsync"/>, which runs Akka's CoordinatedShutdown: stop accepting (service-unbind),
/// close the connections (service-requests-done), stop the core (service-stop), terminate the system; then the
/// journal is closed and the data folder released. The admin HTTP server (when coord.admin.enabled) starts first, so
/// /health and /ready answer during recovery, and stops last, so probes see /ready turn 503 while the server drains.
/// </summary>
public sealed partial class CoordServer : IAsyncDisposable
{
    private readonly CoordSettings _settings;
    private readonly ILoggerFactory _loggers;
    private readonly ILogger _log;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConnectionRegistry _connections = new();
    private readonly ServerStats _stats;
    private readonly CoordMetrics _metrics = new();
    private readonly ServerLifecycle _lifecycle;
    private readonly TaskCompletionSource<IPEndPoint> _adminListening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private AdminHttpServer? _admin;
    private readonly List<Task> _connectionTasks = new();
    private readonly Lock _tasksGate = new();
    private Socket? _listener;
    private ActorSystem? _system;
    private CoreRefs? _core;
    private string? _logKey;
    private readonly TaskCompletionSource _failed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private FourLetterWords? _words;
    private Task _acceptLoop = Task.CompletedTask;
    private Task _tickLoop = Task.CompletedTask;
    private IJournal? _journal;
    private DataDirLock? _dataLock;

    private readonly Func<string, ILogger, IJournal> _openJournal;
    private readonly AkkaConfig? _akka;
    private readonly EnsembleRole? _ensembleRole;
    private ClusterMembership? _cluster;

    /// <param name="openJournal">Opens the journal in a data folder; the SQLite journal unless a spec injects faults.</param>
    /// <param name="akka">The configuration's <c>akka { }</c> section (and anything else Akka reads); Akka's defaults otherwise.</param>
    /// <param name="role">What this server is in its ensemble (srvr's Mode, /ready, the leader and voting_view commands); standalone by default.</param>
    public CoordServer(CoordSettings settings, ILoggerFactory loggers, Func<string, ILogger, IJournal>? openJournal = null, AkkaConfig? akka = null,
        IMemberRole? role = null)
    {
        _stats = new ServerStats(_metrics.RequestAnswered);
        if (role is null && settings.Ensemble is { IsStandalone: false } ensemble) role = _ensembleRole = new EnsembleRole(ensemble);
        _lifecycle = new ServerLifecycle(role ?? StandaloneRole.Instance);
        _akka = akka;
        _settings = settings;
        _loggers = loggers;
        _log = loggers.CreateLogger("Coord.Server");
        _openJournal = openJournal ?? ((dir, log) => SqliteJournal.Open(dir, log));
    }

    /// <summary>What recovery found at start-up.</summary>
    public RecoveryResult? Recovered { get; private set; }

    /// <summary>The bound client endpoint (the real port when the configured port was 0).</summary>
    public IPEndPoint ClientEndPoint => (IPEndPoint)(_listener?.LocalEndPoint ?? throw new InvalidOperationException("not started"));

    /// <summary>The admin HTTP server's endpoint, once it listens (the real port when 0 was configured); never completes
    /// when coord.admin.enabled is false.</summary>
    public Task<IPEndPoint> AdminListening => _adminListening.Task;

    /// <summary>What /ready and the admin commands see of this server.</summary>
    public ServerLifecycle Lifecycle => _lifecycle;

    /// <summary>Completes if the core stops on a fatal error (the host then exits non-zero).</summary>
    public Task Failed => _failed.Task;

    /// <summary>The server's ActorSystem (one per server).</summary>
    public ActorSystem ActorSystem => _system ?? throw new InvalidOperationException("not started");

    /// <summary>The core's actors (for specs and the admin surface).</summary>
    public CoreRefs Core => _core ?? throw new InvalidOperationException("not started");

    /// <summary>
    /// Settings Coord gives Akka unless the configuration says otherwise: Akka's log events go through the server's
    /// loggers, dead letters are not logged (they are normal while connections close), and the shutdown is run by
    /// the host (on SIGTERM / Ctrl-C), not by a CLR exit hook.
    /// </summary>
    private static readonly AkkaConfig AkkaDefaults = ConfigurationFactory.ParseString("""
        akka {
          loggers = ["Coord.Host.AkkaLogBridge, coord"]
          loglevel = WARNING
          stdout-loglevel = OFF
          log-dead-letters = off
          log-dead-letters-during-shutdown = off
          log-config-on-start = off
          coordinated-shutdown {
            run-by-clr-shutdown-hook = off
            exit-clr = off
          }
        }
        """);

    public async Task StartAsync()
    {
        if (_settings.Admin.Enabled)
        {
            _metrics.CollectFrom(_lifecycle, _settings.DataDir, Path.Combine(_settings.DataDir, "snapshots"));
            _admin = await AdminHttpServer.StartAsync(_settings.Admin.Host, _settings.Admin.Port, _lifecycle, _metrics, _loggers);
            _adminListening.TrySetResult(_admin.EndPoint);
        }
        try
        {
            await StartServingAsync();
        }
        catch
        {
            if (_admin is not null) await _admin.StopAsync();
            throw;
        }
    }

    private async Task StartServingAsync()
    {
        Directory.CreateDirectory(_settings.DataDir);
        _dataLock = DataDirLock.Acquire(_settings.DataDir);
        var clock = new SystemClock();
        // Recovery: the newest valid snapshot plus the journal after it. A journal or snapshot that cannot be
        // trusted stops the start with an exception that says what was found and what to do.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var journalLog = _loggers.CreateLogger("Coord.Journal");
        _journal = _openJournal(_settings.DataDir, journalLog);
        var snapshots = new SnapshotStore(Path.Combine(_settings.DataDir, "snapshots"), journalLog) { Written = _metrics.SnapshotWritten };
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
        _logKey = AkkaLogBridge.Register(_loggers);
        var akka = ConfigurationFactory.ParseString($"{AkkaLogBridge.KeyPath} = \"{_logKey}\"")
            .WithFallback(_akka ?? AkkaConfig.Empty).WithFallback(AkkaDefaults);
        var ensemble = _settings.Ensemble is { IsStandalone: false } e ? e : null;
        // The cluster system (if any) takes the same file and logging, without the core's remoting.
        var clusterFallback = akka;
        // A member of an ensemble: Akka.Remote on its peer port, peer messages through the binary serializer.
        if (ensemble is not null) akka = EnsembleBoot.RemoteConfig(ensemble, _settings.TickMs).WithFallback(akka);
        _system = ActorSystem.Create(EnsembleBoot.SystemName, akka);
        var parts = new CoreParts(_settings, clock, _journal, tree, snapshots, _connections,
            () => RandomNumberGenerator.GetBytes(16), _loggers,
            ApplierActor.FirstSessionId(clock.WallMs, _settings.ServerId),
            // Sequencing goes on in the journal's current epoch (newer than the last txn's after a rollover).
            Epoch: _journal.CurrentEpoch,
            Ensemble: ensemble is null ? null : EnsembleBoot.Parts(ensemble, _settings.TickMs, _journal, Recovered, clock.WallMs) with
            {
                OnRoleChanged = r => Console.Out.WriteLine(EnsembleBoot.RoleLine(ensemble.SelfId, r)),
                OnStatus = _ensembleRole is { } ensembleRole ? ensembleRole.Publish : null,
            });
        _core = await CoreStart.StartAsync(_system, parts, _ =>
        {
            _lifecycle.Fail();
            _failed.TrySetResult();
        });
        _core.Counters.ObserveBatches(_metrics.BatchDurable);
        // A member's dropped association (its process died) starts an election now, not after the sync limit.
        if (parts.Ensemble is { } member) _system.ActorOf(PeerLossHints.Props(_core.Sequencer, member.Peers.Paths), "peer-loss-hints");
        // Akka.Cluster on the election port, in its own ActorSystem: failure-detection hints (a frozen leader keeps
        // its connections) and status; downed, it starts afresh while the core serves on.
        if (ensemble is { UsesCluster: true })
        {
            _cluster = new ClusterMembership(ensemble, _settings.TickMs, clusterFallback, _core.Sequencer,
                _loggers.CreateLogger("Coord.Cluster"), _ensembleRole is { } clusterRole ? clusterRole.PublishCluster : null);
            _cluster.Start();
        }
        RegisterShutdownTasks(_system);

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
        var figures = new AdminFigures(_core, _connections, _stats, facts, _lifecycle.Role);
        _words = new FourLetterWords(figures);
        _acceptLoop = AcceptLoopAsync();
        _tickLoop = TickLoopAsync();
        _lifecycle.Serving(figures);
        LogServing(_log, ClientEndPoint.ToString(), _settings.DataDir);
    }

    private async Task AcceptLoopAsync()
    {
        var limits = new ConnectionLimits(_settings.Client.FrameBytesMax, _settings.Client.OutstandingRequestsMax, _settings.Client.OutboundBytesMax);
        var connLog = _loggers.CreateLogger("Coord.Connection");
        while (!_stopping.IsCancellationRequested)
        {
            Socket socket;
            try { socket = await _listener!.AcceptAsync(_stopping.Token); }
            catch (OperationCanceledException) { break; }
            catch (SocketException ex) { LogAcceptFailed(_log, ex.Message); continue; }
            catch (ObjectDisposedException) { break; }
            socket.NoDelay = true;
            var connection = new ClientConnection(socket, _core!.Applier, limits, _stats, _words!, connLog);
            if (!_connections.TryAdd(connection, _settings.Client.ConnectionsPerIpMax))
            {
                LogTooManyConnections(_log, connection.RemoteIp, _settings.Client.ConnectionsPerIpMax);
                _stats.ConnectionRefused();
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
            while (await timer.WaitForNextTickAsync(_stopping.Token)) _core!.Applier.Tell(TickElapsed.Instance);
        }
        catch (OperationCanceledException) { }
    }

    /// <summary>What the server does in each phase of Akka's CoordinatedShutdown.</summary>
    private void RegisterShutdownTasks(ActorSystem system)
    {
        var shutdown = CoordinatedShutdown.Get(system);
        // First of all, /ready turns 503 (an orchestrator stops sending clients here) while the admin server stays up.
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeServiceUnbind, "not-ready", () =>
        {
            _lifecycle.Stopping();
            return Task.FromResult(Done.Instance);
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceUnbind, "stop-accepting-clients", async () =>
        {
            LogStopping(_log);
            _stopping.Cancel();
            _listener?.Dispose();
            await _acceptLoop;
            await _tickLoop;
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceRequestsDone, "close-client-connections", async () =>
        {
            Task[] tasks;
            lock (_tasksGate) tasks = _connectionTasks.ToArray();
            await Task.WhenAll(tasks).WaitAsync(TimeSpan.FromSeconds(4)).ContinueWith(_ => { });
            return Done.Instance;
        });
        // The cluster is left while the core stops (the others see a member leave, not fail).
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "leave-cluster", async () =>
        {
            if (_cluster is { } cluster) await cluster.DisposeAsync();
            return Done.Instance;
        });
        shutdown.AddTask(CoordinatedShutdown.PhaseServiceStop, "stop-core", async () =>
        {
            if (_core is { } core)
            {
                try { await core.Guardian.GracefulStop(TimeSpan.FromSeconds(4)); }
                catch (Exception ex) when (ex is TaskCanceledException or TimeoutException or AskTimeoutException) { }
            }
            return Done.Instance;
        });
        // Last: probes and scrapes are answered (503, the final figures) until the core has stopped.
        shutdown.AddTask(CoordinatedShutdown.PhaseBeforeActorSystemTerminate, "stop-admin-server", async () =>
        {
            if (_admin is { } admin) await admin.StopAsync();
            return Done.Instance;
        });
    }

    public async ValueTask DisposeAsync()
    {
        if (_disposed) return;
        _disposed = true;
        if (_system is { } system)
        {
            await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClrExitReason.Instance);
            await system.WhenTerminated;
        }
        else
        {
            _stopping.Cancel();
            _listener?.Dispose();
        }
        if (_admin is { } admin) await admin.StopAsync();
        if (_logKey is not null) AkkaLogBridge.Unregister(_logKey);
        if (_journal is not null) await _journal.DisposeAsync();
        _dataLock?.Dispose();
        LogStopped(_log);
    }

    private bool _disposed;

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

/// <summary>The system clock: monotonic from the tick counter, wall from UTC now (shifted only by a fault test's clock jump).</summary>
public sealed class SystemClock : IClock
{
    public long MonotonicMs => Environment.TickCount64;
    public long WallMs => DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()
                          + (Coord.Actors.Faults.Failpoints.Enabled ? Coord.Actors.Faults.Failpoints.WallClockOffsetMs : 0);
}
