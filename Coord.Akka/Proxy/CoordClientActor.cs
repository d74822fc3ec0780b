using Akka.Actor;
using Akka.Event;
using Coord.Client;

namespace Coord.Akka.Proxy;

/// <summary>
/// The client actor proxy: owns one Coord session for its ActorSystem and answers the requests in
/// <c>Messages.cs</c> to their senders (Tell or Ask). Watch events go to the actor named on a request as
/// <see cref="WatchEvent"/>; session changes go to subscribers as <see cref="SessionStateChanged"/> and
/// <see cref="SessionOpened"/>.
/// </summary>
/// <remarks>
/// States: <b>opening</b> (requests are stashed; a failed attempt is retried after <c>proxy.retry-interval</c>) and
/// <b>open</b> (requests go to the session, which pipelines them, so one sender's replies come in its order). On
/// expiry subscribers hear <c>Expired</c>; then, per <c>coord.akka.proxy.on-expiry</c>, the actor opens a new session
/// (requests in flight failed with <see cref="SessionExpiredException"/>; later ones wait for the new session) or
/// stops. Stopping the actor closes the session, so its ephemeral nodes go at once.
/// </remarks>
public sealed class CoordClientActor : ReceiveActor, IWithUnboundedStash, IWithTimers
{
    private readonly CoordAkkaSettings settings;
    private readonly Func<CancellationToken, Task<CoordClient>> connect;
    private readonly HashSet<IActorRef> subscribers = [];
    private readonly ILoggingAdapter log = Context.GetLogger();
    private readonly CancellationTokenSource stopping = new();
    private CoordClient? client;

    /// <summary>Use <see cref="Props(CoordAkkaSettings)"/>.</summary>
    /// <param name="settings">Connect string, timeouts and the expiry policy.</param>
    public CoordClientActor(CoordAkkaSettings settings)
    {
        this.settings = settings;
        connect = ct => CoordClient.ConnectAsync(settings.ConnectString, settings.ClientOptions(), ct);
        Opening();
    }

    /// <summary>Props for a client actor.</summary>
    /// <param name="settings">Usually <see cref="CoordAkkaSettings.Create(ActorSystem)"/>.</param>
    public static Props Props(CoordAkkaSettings settings) => global::Akka.Actor.Props.Create(() => new CoordClientActor(settings));

    /// <inheritdoc />
    public IStash Stash { get; set; } = null!;

    /// <inheritdoc />
    public ITimerScheduler Timers { get; set; } = null!;

    /// <inheritdoc />
    protected override void PreStart() => StartOpening();

    /// <inheritdoc />
    protected override void PostStop()
    {
        stopping.Cancel();
        if (client is { } c)
        {
            client = null;
            _ = c.DisposeAsync().AsTask(); // closeSession: the session's ephemerals go at once
        }
    }

    private void StartOpening() =>
        connect(stopping.Token).PipeTo(Self, success: c => new Opened(c), failure: e => new OpenFailed(e));

    private void Opening()
    {
        Receive<Opened>(opened =>
        {
            client = opened.Client;
            var self = Self;
            var c = opened.Client;
            c.StateChanged += (_, change) => self.Tell(new ClientStateChanged(c, change));
            Publish(new SessionOpened(c.SessionId, c.SessionTimeout));
            log.Info("coord session 0x{0:x} open ({1}, timeout {2})", c.SessionId, settings.ConnectString, c.SessionTimeout);
            Become(Ready);
            Stash.UnstashAll();
        });
        Receive<OpenFailed>(failed =>
        {
            log.Warning("coord: opening a session at {0} failed ({1}); trying again in {2}", settings.ConnectString, failed.Cause.Message, settings.RetryInterval);
            Timers.StartSingleTimer(RetryOpen.Instance, RetryOpen.Instance, settings.RetryInterval);
        });
        Receive<RetryOpen>(_ => StartOpening());
        Subscriptions();
        Receive<ICoordRequest>(_ => Stash.Stash());
    }

    private void Ready()
    {
        Receive<ClientStateChanged>(e => ReferenceEquals(e.Client, client), e =>
        {
            Publish(new SessionStateChanged(e.Client.SessionId, e.Change.Previous, e.Change.Current));
            if (e.Change.Current != ConnectionState.Expired) return;
            client = null;
            _ = e.Client.DisposeAsync().AsTask();
            if (settings.OnExpiry == ExpiryPolicy.Stop)
            {
                log.Warning("coord session 0x{0:x} expired; stopping (coord.akka.proxy.on-expiry = stop)", e.Client.SessionId);
                Context.Stop(Self);
                return;
            }

            log.Warning("coord session 0x{0:x} expired; opening a new session", e.Client.SessionId);
            Become(Opening);
            StartOpening();
        });
        Receive<ClientStateChanged>(_ => { }); // from a session already replaced
        Subscriptions();
        Receive<ICoordRequest>(request => Run(client!, request));
    }

    private void Subscriptions()
    {
        Receive<SubscribeSession>(s =>
        {
            if (subscribers.Add(s.Subscriber)) Context.Watch(s.Subscriber);
            if (client is { } c) s.Subscriber.Tell(new SessionOpened(c.SessionId, c.SessionTimeout));
        });
        Receive<UnsubscribeSession>(s =>
        {
            if (subscribers.Remove(s.Subscriber)) Context.Unwatch(s.Subscriber);
        });
        Receive<Terminated>(t => subscribers.Remove(t.ActorRef));
    }

    private void Publish(object message)
    {
        foreach (var s in subscribers) s.Tell(message);
    }

    private void Run(CoordClient c, ICoordRequest request)
    {
        var replyTo = Sender;
        switch (request)
        {
            case Create r:
                c.CreateWithStatAsync(r.Path, r.Data, r.Acl, r.Mode).PipeTo(replyTo, success: x => new Created(x.Path, x.Stat ?? default), failure: Fail);
                break;
            case GetData r:
                c.GetDataAsync(r.Path, Watch(r.Watcher)).PipeTo(replyTo, success: x => new DataRead(r.Path, x.Data, x.Stat), failure: Fail);
                break;
            case SetData r:
                c.SetDataAsync(r.Path, r.Data, r.Version).PipeTo(replyTo, success: x => new DataWritten(r.Path, x), failure: Fail);
                break;
            case Delete r:
                c.DeleteAsync(r.Path, r.Version).PipeTo(replyTo, success: () => new Deleted(r.Path), failure: Fail);
                break;
            case Exists r:
                c.ExistsAsync(r.Path, Watch(r.Watcher)).PipeTo(replyTo, success: x => new ExistsResult(r.Path, x), failure: Fail);
                break;
            case GetChildren r:
                c.GetChildrenWithStatAsync(r.Path, Watch(r.Watcher)).PipeTo(replyTo, success: x => new ChildrenRead(r.Path, x.Children, x.Stat), failure: Fail);
                break;
            case Multi r:
                Transaction(c, r).CommitAsync().PipeTo(replyTo, success: x => new MultiDone(x), failure: Fail);
                break;
            case Sync r:
                c.SyncAsync(r.Path).PipeTo(replyTo, success: () => new Synced(r.Path), failure: Fail);
                break;
            case AddWatch r:
                var subscriber = r.Subscriber;
                c.AddWatchAsync(r.Path, r.Mode, e => subscriber.Tell(new WatchEvent(e.Type, e.State, e.Path)))
                    .PipeTo(replyTo, success: () => new WatchAdded(r.Path), failure: Fail);
                break;
            case RemoveWatches r:
                c.RemoveWatchesAsync(r.Path, r.Type).PipeTo(replyTo, success: () => new WatchesRemoved(r.Path), failure: Fail);
                break;
            default:
                replyTo.Tell(new Status.Failure(new NotSupportedException($"{request.GetType().Name} is not a request the coord client actor knows")));
                break;
        }
    }

    private static Transaction Transaction(CoordClient c, Multi multi)
    {
        var t = c.Transaction();
        foreach (var op in multi.Ops)
        {
            t = op switch
            {
                MultiOp.CreateOp o => t.Create(o.Path, o.Data, mode: o.Mode),
                MultiOp.DeleteOp o => t.Delete(o.Path, o.Version),
                MultiOp.SetDataOp o => t.SetData(o.Path, o.Data, o.Version),
                MultiOp.CheckOp o => t.Check(o.Path, o.Version),
                _ => throw new NotSupportedException(op.GetType().Name),
            };
        }

        return t;
    }

    private static Action<WatchedEvent>? Watch(IActorRef? watcher) =>
        watcher is null ? null : e => watcher.Tell(new WatchEvent(e.Type, e.State, e.Path));

    private static object Fail(Exception e) => new Status.Failure(e);

    private sealed record Opened(CoordClient Client);

    private sealed record OpenFailed(Exception Cause);

    private sealed class RetryOpen
    {
        public static readonly RetryOpen Instance = new();
    }

    private sealed record ClientStateChanged(CoordClient Client, ConnectionStateChange Change);
}
