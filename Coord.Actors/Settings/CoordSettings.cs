using Microsoft.Extensions.Logging;

namespace Coord.Actors.Settings;

/// <summary>
/// The one immutable settings object of a Coord server, already resolved (session timeouts defaulted
/// from the tick). Built by the host from <c>hocon/reference.conf</c> and its overrides; each property
/// names its HOCON key. <see cref="Default"/> equals what reference.conf says. <see cref="Ensemble"/> is null
/// when coord.ensemble.members is empty (a standalone server); its <c>SelfId</c> is <see cref="ServerId"/>.
/// </summary>
public sealed record CoordSettings(
    int ServerId,
    string DataDir,
    int TickMs,
    ClientSettings Client,
    SessionSettings Session,
    ZnodeSettings Znode,
    AuthSettings Auth,
    FourLetterWordSettings FourLetterWords,
    LoggingSettings Logging,
    SnapshotSettings Snapshot,
    AdminSettings Admin,
    EnsembleSettings? Ensemble = null)
{
    public const int TickMsDefault = 2000;

    public static CoordSettings Default { get; } = new(
        ServerId: 1,
        DataDir: "./data",
        TickMs: TickMsDefault,
        Client: ClientSettings.Default,
        Session: SessionSettings.ForTick(TickMsDefault, timeoutMsMin: null, timeoutMsMax: null, SessionSettings.SessionsMaxDefault),
        Znode: ZnodeSettings.Default,
        Auth: AuthSettings.Default,
        FourLetterWords: FourLetterWordSettings.Default,
        Logging: LoggingSettings.Default,
        Snapshot: SnapshotSettings.Default,
        Admin: AdminSettings.Default);
}

/// <summary>
/// coord.admin: the admin HTTP server (ZooKeeper's AdminServer commands, /health, /ready, /metrics). On by default on
/// port 8080 as ZooKeeper's admin.enableServer / admin.serverPort, but bound to 127.0.0.1 rather than every interface.
/// </summary>
public sealed record AdminSettings(bool Enabled, string Host, int Port)
{
    public static AdminSettings Default { get; } = new(Enabled: true, Host: "127.0.0.1", Port: 8080);
}

/// <summary>
/// coord.snapshot: when the tree is written out (after <see cref="EveryTxns"/> txns or <see cref="EveryMib"/>
/// MiB of txn payload, whichever comes first, but not before <see cref="MinTxnsPerZnode"/> txns per znode in
/// the tree; 0 drops that floor) and how many snapshots are kept; the journal is purged up to the oldest
/// snapshot kept, so a corrupt newest snapshot can always fall back to an older one.
/// </summary>
public sealed record SnapshotSettings(int EveryTxns, int EveryMib, int Retain, int MinTxnsPerZnode = 1)
{
    public static SnapshotSettings Default { get; } = new(EveryTxns: 100_000, EveryMib: 64, Retain: 3, MinTxnsPerZnode: 1);
}

/// <summary>coord.client: the client port and the bounds that protect the server from one client.</summary>
public sealed record ClientSettings(
    string Host,
    int Port,
    int FrameBytesMax,
    int OutstandingRequestsMax,
    int ConnectionsPerIpMax,
    int ListenBacklog,
    long OutboundBytesMax = ClientSettings.OutboundBytesMaxDefault)
{
    public const long OutboundBytesMaxDefault = 64L << 20;

    public static ClientSettings Default { get; } = new(
        Host: "127.0.0.1",
        Port: 2181,
        FrameBytesMax: 1048575,
        OutstandingRequestsMax: 1000,
        ConnectionsPerIpMax: 60,
        ListenBacklog: 512);
}

/// <summary>coord.session: the range a client's requested timeout is clamped to, and the session bound.</summary>
public sealed record SessionSettings(int TimeoutMsMin, int TimeoutMsMax, int SessionsMax)
{
    public const int SessionsMaxDefault = 60000;

    /// <summary>ZooKeeper's rule: unset bounds are 2 and 20 ticks.</summary>
    public static SessionSettings ForTick(int tickMs, int? timeoutMsMin, int? timeoutMsMax, int sessionsMax) =>
        new(timeoutMsMin ?? 2 * tickMs, timeoutMsMax ?? 20 * tickMs, sessionsMax);

    /// <summary>The timeout a session gets when it asks for <paramref name="requestedMs"/>.</summary>
    public int Clamp(int requestedMs) => Math.Clamp(requestedMs, TimeoutMsMin, TimeoutMsMax);
}

/// <summary>coord.znode: optional node types and the container reaper's pace.</summary>
public sealed record ZnodeSettings(bool ExtendedTypesEnabled, int ContainerCheckIntervalMs, int ContainerMaxPerMinute)
{
    public static ZnodeSettings Default { get; } = new(ExtendedTypesEnabled: false, ContainerCheckIntervalMs: 60000, ContainerMaxPerMinute: 10000);
}

/// <summary>
/// coord.auth: <see cref="SuperDigest"/> is "" (no super user) or "super:&lt;base64 sha1&gt;";
/// <see cref="ExistsRequiresRead"/> follows ZooKeeper 3.8.4/3.9.2+ (true) or older servers (false).
/// </summary>
public sealed record AuthSettings(string SuperDigest, bool ExistsRequiresRead = true)
{
    public static AuthSettings Default { get; } = new(SuperDigest: "", ExistsRequiresRead: true);
    public bool SuperUserEnabled => SuperDigest.Length > 0;
}

/// <summary>coord.four-letter-words: which of ruok, stat, mntr, ... the client port answers.</summary>
public sealed record FourLetterWordSettings(IReadOnlyList<string> Whitelist)
{
    public const string All = "*";

    /// <summary>Every word ZooKeeper 3.8 knows; the whitelist may name only these (or "*").</summary>
    public static IReadOnlyList<string> KnownWords { get; } =
        ["conf", "cons", "crst", "dirs", "dump", "envi", "gtmk", "hash", "isro", "mntr", "ruok", "srst", "srvr", "stat", "stmk", "wchc", "wchp", "wchs"];

    public static FourLetterWordSettings Default { get; } = new([All]);

    public bool IsAllowed(string word) => Whitelist.Contains(All) || Whitelist.Contains(word, StringComparer.Ordinal);

    // Records compare lists by reference; settings compare by content so "same config" means equal.
    public bool Equals(FourLetterWordSettings? other) => other is not null && Whitelist.SequenceEqual(other.Whitelist);
    public override int GetHashCode() => Whitelist.Aggregate(17, (h, w) => h * 31 + w.GetHashCode(StringComparison.Ordinal));
}

/// <summary>coord.logging: the minimum level written by the server's loggers, and the line format.</summary>
public sealed record LoggingSettings(LogLevel Level, LogFormat Format = LogFormat.Line)
{
    public static LoggingSettings Default { get; } = new(LogLevel.Information, LogFormat.Line);
}

/// <summary>coord.logging.format: readable lines, or one JSON object per line for log shippers.</summary>
public enum LogFormat { Line, Json }
