using System.Diagnostics;
using Akka.Actor;
using Akka.Cluster;
using AkkaConfig = Akka.Configuration.Config;
using Coord.Actors.Settings;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Ensemble;

/// <summary>
/// A member's Akka.Cluster membership, in an ActorSystem of its own ("coord-cluster" on the election port) so that
/// being downed never takes the core (replication, sessions, the client port) with it. Starts the cluster system,
/// joins the seeds (<see cref="ClusterPlan"/>), and when that system ends — downed by the split brain resolver,
/// removed, quarantined, giving way to a bigger cluster, or a join given up — logs one line and starts a fresh one on
/// the same port after a bounded backoff (200 ms doubling to 5 s; back to 200 ms after an incarnation that was up).
/// <see cref="Figures"/> is read from any thread (mntr, /metrics); <see cref="DisposeAsync"/> leaves the cluster.
/// </summary>
public sealed partial class ClusterMembership : IAsyncDisposable
{
    private const int BackoffMsMin = 200, BackoffMsMax = 5_000;
    private static readonly TimeSpan LeaveTimeout = TimeSpan.FromSeconds(5);

    private readonly EnsembleSettings _ensemble;
    private readonly ClusterTiming _timing;
    private readonly AkkaConfig _fallback;
    private readonly IActorRef _replication;
    private readonly ILogger _log;
    private readonly Action<ClusterFigures>? _onFigures;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Lock _gate = new();
    private ActorSystem? _system;
    private Task _loop = Task.CompletedTask;
    private volatile ClusterFigures _figures = ClusterFigures.Starting(0);
    private volatile string? _endReason;
    private volatile bool _wasUp;
    private long _rejoins;

    /// <param name="fallback">The configuration the cluster's falls back to: the file's akka { } section and logging.</param>
    /// <param name="replication">The core's replication actor, which takes <see cref="Coord.Actors.Ensemble.PeerUnreachable"/> hints.</param>
    /// <param name="onFigures">Called with each new set of figures (on an actor's thread).</param>
    public ClusterMembership(EnsembleSettings ensemble, int tickMs, AkkaConfig fallback, IActorRef replication, ILogger log,
        Action<ClusterFigures>? onFigures = null)
    {
        _ensemble = ensemble;
        _timing = ClusterTiming.For(ensemble, tickMs);
        _fallback = fallback;
        _replication = replication;
        _log = log;
        _onFigures = onFigures;
    }

    public ClusterTiming Timing => _timing;

    /// <summary>The latest figures (any thread).</summary>
    public ClusterFigures Figures => _figures;

    /// <summary>Fresh cluster systems started after the first.</summary>
    public long Rejoins => Interlocked.Read(ref _rejoins);

    /// <summary>Starts the first cluster system and keeps one running until disposed.</summary>
    public void Start()
    {
        var self = _ensemble.Self;
        LogStarting(_log, self.Id, ClusterPlan.AddressOf(self).ToString(), _timing.AcceptableHeartbeatPauseMs, _timing.HeartbeatIntervalMs, _timing.StableAfterMs);
        _loop = RunAsync();
    }

    /// <summary>From the watch actor: new figures.</summary>
    internal void Observe(ClusterFigures figures)
    {
        if (figures.SelfStatus == "up") _wasUp = true;
        _figures = figures;
        _onFigures?.Invoke(figures);
    }

    /// <summary>From the watch actor: why it is ending its system.</summary>
    internal void Ending(string why) => _endReason = why;

    private async Task RunAsync()
    {
        int backoffMs = BackoffMsMin;
        bool selfFirst = false;
        while (!_stopping.IsCancellationRequested)
        {
            _endReason = null;
            _wasUp = false;
            var started = Stopwatch.GetTimestamp();
            ActorSystem system;
            try
            {
                system = StartSystem(selfFirst);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                LogStartFailed(_log, _ensemble.SelfId, backoffMs, ex.Message);
                if (!await DelayAsync(backoffMs)) return;
                backoffMs = Math.Min(BackoffMsMax, backoffMs * 2);
                continue;
            }
            await system.WhenTerminated;
            lock (_gate) _system = null;
            if (_stopping.IsCancellationRequested) return;

            bool wasUp = _wasUp;
            var why = _endReason ?? (wasUp ? $"downed or removed (self {_figures.SelfStatus})" : "could not join any seed node in time");
            // A join that never succeeded starts again with this member first among the seeds: it forms a cluster
            // when nobody answers (the lower ids gave up first, so the others join it), or joins whoever does.
            selfFirst = !wasUp;
            backoffMs = wasUp ? BackoffMsMin : Math.Min(BackoffMsMax, backoffMs * 2);
            Interlocked.Increment(ref _rejoins);
            _figures = ClusterFigures.Starting(Rejoins);
            _onFigures?.Invoke(_figures);
            LogRejoining(_log, _ensemble.SelfId, why, (long)Stopwatch.GetElapsedTime(started).TotalMilliseconds, backoffMs);
            if (!await DelayAsync(backoffMs)) return;
        }
    }

    private ActorSystem StartSystem(bool selfFirst)
    {
        var config = ClusterPlan.Config(_ensemble, _timing, selfFirst, _fallback);
        var system = ActorSystem.Create(ClusterPlan.SystemName, config);
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested)
            {
                system.Terminate().Wait(LeaveTimeout);
                throw new OperationCanceledException();
            }
            _system = system;
        }
        system.ActorOf(ClusterWatch.Props(_ensemble, _replication, this, _log), ClusterPlan.WatchName);
        Cluster.Get(system).JoinSeedNodes(ClusterPlan.Seeds(_ensemble, selfFirst));
        return system;
    }

    private async Task<bool> DelayAsync(int ms)
    {
        try
        {
            await Task.Delay(ms, _stopping.Token);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    /// <summary>Leaves the cluster (the others see a member leave, not fail) and ends the cluster system; bounded.</summary>
    public async ValueTask DisposeAsync()
    {
        ActorSystem? system;
        lock (_gate)
        {
            if (_stopping.IsCancellationRequested) return;
            _stopping.Cancel();
            system = _system;
        }
        if (system is not null)
        {
            try
            {
                await CoordinatedShutdown.Get(system).Run(CoordinatedShutdown.ClusterLeavingReason.Instance).WaitAsync(LeaveTimeout);
            }
            catch (TimeoutException) { }
            if (!system.WhenTerminated.IsCompleted) await system.Terminate().WaitAsync(LeaveTimeout).ContinueWith(_ => { });
        }
        try { await _loop.WaitAsync(LeaveTimeout); } catch (TimeoutException) { }
    }

    [LoggerMessage(EventId = 3201, Level = LogLevel.Information,
        Message = "Cluster: member {Member} joins the cluster on {Address} (failure detector pause {PauseMs} ms, heartbeat {HeartbeatMs} ms, split brain resolver stable-after {StableAfterMs} ms)")]
    private static partial void LogStarting(ILogger log, long member, string address, int pauseMs, int heartbeatMs, int stableAfterMs);

    [LoggerMessage(EventId = 3203, Level = LogLevel.Warning,
        Message = "Cluster: member {Member}'s cluster system ended ({Why}) after {LivedMs} ms; rejoining with a fresh cluster system in {DelayMs} ms")]
    private static partial void LogRejoining(ILogger log, long member, string why, long livedMs, int delayMs);

    [LoggerMessage(EventId = 3204, Level = LogLevel.Warning,
        Message = "Cluster: member {Member} could not start its cluster system (trying again in {DelayMs} ms): {Reason}")]
    private static partial void LogStartFailed(ILogger log, long member, int delayMs, string reason);
}
