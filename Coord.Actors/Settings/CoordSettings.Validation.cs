using System.Net;

namespace Coord.Actors.Settings;

/// <summary>
/// Cross-field and range checks. Each message names the HOCON key, the value found and what to change,
/// because the reader is an operator looking at a config file, not at this code. The ensemble's checks are in
/// CoordSettings.Validation.Ensemble.cs.
/// </summary>
public static partial class CoordSettingsValidation
{
    public const int TickMsMax = 60000;

    /// <param name="source">Says where a key's value came from, as a suffix for a message (" (from zoo.cfg:7)"),
    /// given the key in configuration form (<c>coord:ensemble:members:2:host</c>); "" when unknown. Used by the
    /// ensemble's checks, whose values may come from a zoo.cfg line.</param>
    public static IReadOnlyList<string> Validate(this CoordSettings s, Func<string, string>? source = null)
    {
        var errors = new List<string>();
        void Require(bool ok, string message) { if (!ok) errors.Add(message); }

        Require(s.ServerId >= 1, $"coord.server-id ({s.ServerId}) must be at least 1");
        Require(s.ServerId <= EnsembleSettings.MemberIdMax,
            $"coord.server-id ({s.ServerId}) must be at most {EnsembleSettings.MemberIdMax}: a session id carries the server id in its top byte, "
            + "and the top byte 0xFF marks TTL nodes (ZooKeeper documents ids 1..255, and 1..254 with TTL nodes)");
        Require(!string.IsNullOrWhiteSpace(s.DataDir), "coord.data-dir must name a directory (it holds the journal and snapshots)");
        Require(s.TickMs is >= 1 and <= TickMsMax,
            $"coord.tick-ms ({s.TickMs}) must be between 1 and {TickMsMax}: session expiry is counted in ticks, so a longer tick makes it too coarse");

        var c = s.Client;
        Require(IsHost(c.Host),
            $"coord.client.host ('{c.Host}') must be an IP address or host name, e.g. \"127.0.0.1\" or \"0.0.0.0\" for all interfaces");
        Require(c.Port is >= 0 and <= 65535, $"coord.client.port ({c.Port}) must be between 0 and 65535 (0 picks a free port)");
        Require(c.FrameBytesMax >= 1024, $"coord.client.frame-bytes-max ({c.FrameBytesMax}) must be at least 1024: a frame must hold a connect request");
        Require(c.OutboundBytesMax >= c.FrameBytesMax + 4L,
            $"coord.client.outbound-bytes-max ({c.OutboundBytesMax}) must hold at least one frame (frame-bytes-max + 4 = {c.FrameBytesMax + 4L})");
        Require(c.OutstandingRequestsMax >= 1, $"coord.client.outstanding-requests-max ({c.OutstandingRequestsMax}) must be at least 1");
        Require(c.ConnectionsPerIpMax >= 0, $"coord.client.connections-per-ip-max ({c.ConnectionsPerIpMax}) must be 0 (unlimited) or more");
        Require(c.ListenBacklog >= 1, $"coord.client.listen-backlog ({c.ListenBacklog}) must be at least 1");

        var admin = s.Admin;
        Require(IPAddress.TryParse(admin.Host, out _) || Uri.CheckHostName(admin.Host) == UriHostNameType.Dns,
            $"coord.admin.host ('{admin.Host}') must be an IP address or host name, e.g. \"127.0.0.1\" or \"0.0.0.0\" for all interfaces");
        Require(admin.Port is >= 0 and <= 65535, $"coord.admin.port ({admin.Port}) must be between 0 and 65535 (0 picks a free port)");

        var session = s.Session;
        Require(session.TimeoutMsMin >= 2L * s.TickMs,
            $"coord.session.timeout-ms-min ({session.TimeoutMsMin}) must be at least 2 × coord.tick-ms ({s.TickMs}) = {2L * s.TickMs}; raise it, lower coord.tick-ms, or set it to null for the default");
        Require(session.TimeoutMsMax >= session.TimeoutMsMin,
            $"coord.session.timeout-ms-max ({session.TimeoutMsMax}) must be at least coord.session.timeout-ms-min ({session.TimeoutMsMin}); null defaults are 2 × and 20 × coord.tick-ms");
        Require(session.SessionsMax >= 1, $"coord.session.sessions-max ({session.SessionsMax}) must be at least 1");

        var z = s.Znode;
        Require(z.ContainerCheckIntervalMs >= 1, $"coord.znode.container-check-interval-ms ({z.ContainerCheckIntervalMs}) must be at least 1");
        Require(s.Snapshot.EveryTxns >= 1, $"coord.snapshot.every-txns ({s.Snapshot.EveryTxns}) must be at least 1");
        Require(s.Snapshot.MinTxnsPerZnode >= 0, $"coord.snapshot.min-txns-per-znode ({s.Snapshot.MinTxnsPerZnode}) must be 0 (no floor) or more");
        Require(s.Snapshot.EveryMib >= 1, $"coord.snapshot.every-mib ({s.Snapshot.EveryMib}) must be at least 1");
        Require(s.Snapshot.Retain >= 2,
            $"coord.snapshot.retain ({s.Snapshot.Retain}) must be at least 2: recovery falls back to the previous snapshot when the newest is corrupt");
        Require(z.ContainerMaxPerMinute >= 1, $"coord.znode.container-max-per-minute ({z.ContainerMaxPerMinute}) must be at least 1");

        Require(s.Auth.SuperDigest.Length == 0 || IsDigest(s.Auth.SuperDigest),
            $"coord.auth.super-digest must be \"\" or \"<user>:<base64 sha1>\" as printed by ZooKeeper's DigestAuthenticationProvider (e.g. \"super:D/InIHSb7yEEbrWz8b9l71RjZJU=\"), found '{s.Auth.SuperDigest}'");

        foreach (var word in s.FourLetterWords.Whitelist)
        {
            if (word == FourLetterWordSettings.All || FourLetterWordSettings.KnownWords.Contains(word)) continue;
            var closest = FourLetterWordSettings.KnownWords.MinBy(k => EditDistance.Between(k, word));
            errors.Add($"coord.four-letter-words.whitelist: unknown word '{word}'; did you mean '{closest}'? (use \"*\" for all, or any of {string.Join(", ", FourLetterWordSettings.KnownWords)})");
        }

        if (s.Ensemble is { } ensemble) ValidateEnsemble(s, ensemble, source ?? (_ => ""), errors);
        return errors;
    }

    /// <summary>An IP address or a DNS host name (no lookup: validation does no I/O).</summary>
    private static bool IsHost(string host) =>
        IPAddress.TryParse(host, out _) || Uri.CheckHostName(host) == UriHostNameType.Dns;

    private static bool IsDigest(string digest)
    {
        var colon = digest.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0) return false;
        var hash = digest[(colon + 1)..];
        var bytes = new byte[hash.Length];
        return Convert.TryFromBase64String(hash, bytes, out var written) && written == 20;
    }
}

/// <summary>Levenshtein distance, for "did you mean" suggestions.</summary>
public static class EditDistance
{
    public static int Between(string a, string b)
    {
        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++) previous[j] = j;
        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }
            (previous, current) = (current, previous);
        }
        return previous[b.Length];
    }
}
