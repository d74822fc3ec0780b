namespace Coord.Host.Admin.Http;

/// <summary>Where a server is in its life, as /ready and the admin commands see it.</summary>
public enum ServingState
{
    /// <summary>Recovering its data folder and starting the core: not serving clients yet.</summary>
    Starting,

    /// <summary>Listening on the client port with a running core.</summary>
    Serving,

    /// <summary>CoordinatedShutdown has begun (SIGTERM, Ctrl-C, dispose): no longer taking clients.</summary>
    Stopping,
}

/// <summary>
/// The server's state for the admin HTTP server: written by <see cref="CoordServer"/> as it starts, serves and stops,
/// read by HTTP requests on Kestrel's threads. Each transition is one volatile write, so a reader sees a state and the
/// figures published with it, never a torn pair (the figures are published before the state that makes them readable).
/// </summary>
public sealed class ServerLifecycle(IMemberRole role)
{
    private volatile AdminFigures? _figures;
    private volatile int _state = (int)ServingState.Starting;
    private volatile bool _failed;

    public IMemberRole Role => role;

    public ServingState State => (ServingState)_state;

    /// <summary>The core stopped on a fatal error (a broken invariant, a journal that cannot persist).</summary>
    public bool Failed => _failed;

    /// <summary>The figures of a serving server; null before it serves and once it stops.</summary>
    public AdminFigures? Figures => State == ServingState.Serving ? _figures : null;

    /// <summary>/ready: serving clients (standalone: from start until shutdown begins; a member: while synced).</summary>
    public bool Ready => State == ServingState.Serving && !Failed && role.ServesClients;

    /// <summary>/health: the process is alive and its core has not failed.</summary>
    public bool Healthy => !Failed;

    public void Serving(AdminFigures figures)
    {
        _figures = figures;
        _state = (int)ServingState.Serving;
    }

    public void Stopping() => _state = (int)ServingState.Stopping;

    public void Fail() => _failed = true;

    /// <summary>The state's name as /ready prints it.</summary>
    public static string Name(ServingState state) => state switch
    {
        ServingState.Starting => "starting",
        ServingState.Serving => "serving",
        _ => "stopping",
    };
}
