using Akka.Configuration;
using Akka.Coordination;

namespace Coord.Akka.Lease;

/// <summary>A lease's own keys (from its config path, e.g. <c>coord.akka.lease</c>), parsed once.</summary>
/// <param name="ConnectString">Where the lease's session connects.</param>
/// <param name="Root">The persistent node holding one ephemeral node per lease name.</param>
/// <param name="SafeFraction">The share of the session timeout the holder trusts after a confirmation.</param>
/// <param name="SessionTimeout">Asked of the server: Akka's heartbeat-timeout.</param>
/// <param name="HeartbeatInterval">How often the holder confirms (capped at a quarter of the negotiated timeout).</param>
/// <param name="OperationTimeout">Bound on acquire and release.</param>
public sealed record CoordLeaseSettings(
    string ConnectString,
    string Root,
    double SafeFraction,
    TimeSpan SessionTimeout,
    TimeSpan HeartbeatInterval,
    TimeSpan OperationTimeout)
{
    /// <summary>Reads the lease's config (Akka has already merged <c>akka.coordination.lease</c> behind it).</summary>
    /// <param name="settings">Akka's lease settings.</param>
    /// <param name="common">The <c>coord.akka</c> settings (for the connect string when the lease names none).</param>
    /// <exception cref="ConfigurationException">A value is out of range.</exception>
    public static CoordLeaseSettings Create(LeaseSettings settings, CoordAkkaSettings common)
    {
        var c = settings.LeaseConfig.WithFallback(CoordAkkaConfig.Default.GetConfig("coord.akka.lease"));
        var connect = c.GetString("connect-string", "");
        var root = c.GetString("root", "/akka/leases").TrimEnd('/');
        if (!root.StartsWith('/') || root.Length < 2)
            throw new ConfigurationException($"lease root \"{root}\" must be an absolute node path such as /akka/leases.");
        var fraction = c.GetDouble("safe-fraction", 0.5);
        if (fraction is < 0.1 or > 0.9 || double.IsNaN(fraction))
            throw new ConfigurationException($"lease safe-fraction = {fraction} is out of range: use a value between 0.1 and 0.9 (default 0.5).");
        return new CoordLeaseSettings(
            string.IsNullOrWhiteSpace(connect) ? common.ConnectString : connect.Trim(),
            root,
            fraction,
            settings.TimeoutSettings.HeartbeatTimeout,
            settings.TimeoutSettings.HeartbeatInterval,
            settings.TimeoutSettings.OperationTimeout);
    }

    /// <summary>The lease's node: the name escaped so that any lease name (Cluster Singleton's contain '/') is one node name.</summary>
    /// <param name="leaseName">Akka's lease name.</param>
    public string NodePath(string leaseName)
    {
        ArgumentException.ThrowIfNullOrEmpty(leaseName);
        var escaped = Uri.EscapeDataString(leaseName);
        if (escaped is "." or "..") escaped = escaped.Replace(".", "%2E", StringComparison.Ordinal);
        return $"{Root}/{escaped}";
    }
}
