using System.Globalization;
using Akka.Actor;
using Akka.Cluster;
using Akka.Remote;
using Coord.Actors.Ensemble;
using Coord.Actors.Settings;
using Microsoft.Extensions.Logging;
using static Akka.Cluster.ClusterEvent;

namespace Coord.Host.Ensemble;

/// <summary>
/// Lives in the member's cluster ActorSystem (/user/cluster-watch) and turns Akka.Cluster's events into what the
/// rest of the server uses: <see cref="PeerUnreachable"/> hints to the core's replication actor (a member the failure
/// detector finds unreachable, e.g. a frozen leader whose TCP connections stay open), the figures mntr and /metrics
/// show, and a log line when they change. It also ends its own ActorSystem (the supervisor starts a fresh one) when
/// a peer quarantined this incarnation, which can then never talk to it again, and when another cluster of the same
/// ensemble is found that this one should give way to (<see cref="ClusterPlan.ShouldYield"/>).
/// Nothing here is used for safety: a wrong hint costs an election.
/// </summary>
public sealed partial class ClusterWatch : ReceiveActor, IWithTimers
{
    /// <summary>Asked of a member missing from this cluster; its watch answers with <see cref="SizePrefix"/>.</summary>
    public const string ProbeText = "coord-cluster-probe";

    /// <summary>"coord-cluster-size UP LOWEST": the answering member's cluster has UP members up, the lowest id LOWEST.</summary>
    public const string SizePrefix = "coord-cluster-size ";

    private static readonly TimeSpan ProbeEvery = TimeSpan.FromSeconds(3);

    private readonly EnsembleSettings _ensemble;
    private readonly IActorRef _replication;
    private readonly ClusterMembership _owner;
    private readonly ILogger _log;
    private readonly Cluster _cluster;
    private readonly string _selfKey;
    private ClusterView _view = ClusterView.Empty;
    private ClusterFigures? _published;
    private bool _ending;
    private bool _selfRemoved;

    public ITimerScheduler Timers { get; set; } = null!;

    public ClusterWatch(EnsembleSettings ensemble, IActorRef replication, ClusterMembership owner, ILogger log)
    {
        _ensemble = ensemble;
        _replication = replication;
        _owner = owner;
        _log = log;
        _cluster = Cluster.Get(Context.System);
        _selfKey = _cluster.SelfUniqueAddress.ToString();

        Receive<MemberRemoved>(e =>
        {
            var key = e.Member.UniqueAddress.ToString();
            if (key == _selfKey) _selfRemoved = true;
            Update(_view.Without(key));
        });
        Receive<IMemberEvent>(e =>
        {
            if (ClusterPlan.MemberIdOf(e.Member.Roles) is { } id)
                Update(_view.WithMember(e.Member.UniqueAddress.ToString(), id, StatusText(e.Member.Status)));
        });
        Receive<UnreachableMember>(e =>
        {
            Update(_view.WithReachability(e.Member.UniqueAddress.ToString(), reachable: false));
            if (ClusterPlan.MemberIdOf(e.Member.Roles) is { } id && id != _ensemble.SelfId)
            {
                LogUnreachable(_log, id);
                _replication.Tell(new PeerUnreachable(id), ActorRefs.NoSender);
            }
        });
        Receive<ReachableMember>(e => Update(_view.WithReachability(e.Member.UniqueAddress.ToString(), reachable: true)));
        Receive<ThisActorSystemQuarantinedEvent>(e => End($"quarantined by {e.RemoteAddress}"));
        Receive<Probe>(_ => SendProbes());
        Receive<string>(OnText);
    }

    public static Props Props(EnsembleSettings ensemble, IActorRef replication, ClusterMembership owner, ILogger log) =>
        Akka.Actor.Props.Create(() => new ClusterWatch(ensemble, replication, owner, log));

    private sealed record Probe
    {
        public static readonly Probe Instance = new();
    }

    protected override void PreStart()
    {
        _cluster.Subscribe(Self, SubscriptionInitialStateMode.InitialStateAsEvents, typeof(IMemberEvent), typeof(IReachabilityEvent));
        Context.System.EventStream.Subscribe(Self, typeof(ThisActorSystemQuarantinedEvent));
        Timers.StartPeriodicTimer("probe", Probe.Instance, ProbeEvery);
        Publish();
    }

    protected override void PostStop() => _cluster.Unsubscribe(Self);

    private string SelfStatus => _view.Members.TryGetValue(_selfKey, out var self) ? self.Status : _selfRemoved ? "removed" : "joining";

    private void Update(ClusterView view)
    {
        _view = view;
        Publish();
    }

    private void Publish()
    {
        var figures = _view.Figures(SelfStatus, _owner.Rejoins);
        _owner.Observe(figures);
        if (_published is null || !figures.UpIds.SequenceEqual(_published.UpIds) || !figures.UnreachableIds.SequenceEqual(_published.UnreachableIds)
            || figures.SelfStatus != _published.SelfStatus)
            LogView(_log, _ensemble.SelfId, figures.ToString());
        _published = figures;
    }

    /// <summary>Every few seconds, while up: members absent from this cluster are asked what cluster they are in.</summary>
    private void SendProbes()
    {
        if (SelfStatus != "up" || _ending) return;
        var known = _view.Known;
        foreach (var m in _ensemble.Members.Where(m => m.Id != _ensemble.SelfId && !known.Contains(m.Id)))
            Context.ActorSelection(new RootActorPath(ClusterPlan.AddressOf(m)) / "user" / ClusterPlan.WatchName).Tell(ProbeText, Self);
    }

    private void OnText(string text)
    {
        var up = _view.UpIds;
        if (text == ProbeText)
        {
            if (SelfStatus == "up" && !_ending && up.Count > 0)
                Sender.Tell(string.Create(CultureInfo.InvariantCulture, $"{SizePrefix}{up.Count} {up[0]}"), Self);
            return;
        }
        if (!text.StartsWith(SizePrefix, StringComparison.Ordinal) || SelfStatus != "up" || _ending || up.Count == 0) return;
        var parts = text[SizePrefix.Length..].Split(' ');
        if (parts.Length != 2 || !int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var theirUp)
            || !long.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var theirLowest)) return;
        if (ClusterPlan.ShouldYield(up.Count, up[0], theirUp, theirLowest))
            End(string.Create(CultureInfo.InvariantCulture,
                $"another cluster of this ensemble answered from {Sender.Path.Address}: {theirUp} up, lowest member {theirLowest}; this one has {up.Count} up, lowest {up[0]}"));
    }

    /// <summary>Ends this cluster system; the supervisor starts a fresh one, which joins again.</summary>
    private void End(string why)
    {
        if (_ending) return;
        _ending = true;
        _owner.Ending(why);
        Context.System.Terminate();
    }

    private static string StatusText(MemberStatus status) => status switch
    {
        MemberStatus.WeaklyUp => "weakly-up",
        _ => status.ToString().ToLowerInvariant(),
    };

    [LoggerMessage(EventId = 3200, Level = LogLevel.Information, Message = "Cluster (member {Member}): {View}")]
    private static partial void LogView(ILogger log, long member, string view);

    [LoggerMessage(EventId = 3202, Level = LogLevel.Information, Message = "Cluster: member {Member} is unreachable; hinting replication to look for a leader if it was ours")]
    private static partial void LogUnreachable(ILogger log, long member);
}
