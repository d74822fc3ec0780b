using Akka.Actor;
using Akka.Configuration;
using Coord.Client;

namespace Coord.Akka;

/// <summary>What to do when the client actor's session expires.</summary>
public enum ExpiryPolicy
{
    /// <summary>Tell subscribers, then open a new session (a new session id; ephemerals and watches start over).</summary>
    Reconnect,

    /// <summary>Tell subscribers, then stop the actor.</summary>
    Stop,
}

/// <summary>The <c>coord.akka</c> section, parsed once. Bad values fail with a message naming the key.</summary>
/// <param name="ConnectString">host:port[,host:port...][/chroot].</param>
/// <param name="SessionTimeout">Asked of the server, which clamps it.</param>
/// <param name="ConnectTimeout">One TCP connect plus handshake.</param>
/// <param name="InitialConnectTimeout">How long opening a session may take.</param>
/// <param name="OnExpiry">The client actor's expiry policy.</param>
/// <param name="RetryInterval">The client actor's pause between failed attempts to open a session.</param>
public sealed record CoordAkkaSettings(
    string ConnectString,
    TimeSpan SessionTimeout,
    TimeSpan ConnectTimeout,
    TimeSpan InitialConnectTimeout,
    ExpiryPolicy OnExpiry,
    TimeSpan RetryInterval)
{
    /// <summary>Reads <c>coord.akka</c> from the system's config, with <see cref="CoordAkkaConfig.Default"/> behind it.</summary>
    /// <param name="system">The ActorSystem.</param>
    public static CoordAkkaSettings Create(ActorSystem system) =>
        Create(system.Settings.Config.WithFallback(CoordAkkaConfig.Default).GetConfig("coord.akka"));

    /// <summary>Reads a <c>coord.akka</c> section (missing keys take the defaults).</summary>
    /// <param name="section">The section's content.</param>
    /// <exception cref="ConfigurationException">A value is missing or out of range.</exception>
    public static CoordAkkaSettings Create(Config section)
    {
        var c = (section ?? Config.Empty).WithFallback(CoordAkkaConfig.Default.GetConfig("coord.akka"));
        var onExpiry = c.GetString("proxy.on-expiry", "reconnect") switch
        {
            "reconnect" => ExpiryPolicy.Reconnect,
            "stop" => ExpiryPolicy.Stop,
            var other => throw new ConfigurationException(
                $"coord.akka.proxy.on-expiry = \"{other}\" is not valid: use \"reconnect\" or \"stop\"."),
        };
        return new CoordAkkaSettings(
            ConnectStringOf(c.GetString("connect-string"), "coord.akka.connect-string"),
            Positive(c, "session-timeout"),
            Positive(c, "connect-timeout"),
            Positive(c, "initial-connect-timeout"),
            onExpiry,
            Positive(c, "proxy.retry-interval"));
    }

    /// <summary>Options for a <see cref="CoordClient"/> with these timeouts.</summary>
    /// <param name="sessionTimeout">Overrides <see cref="SessionTimeout"/>.</param>
    public CoordClientOptions ClientOptions(TimeSpan? sessionTimeout = null) => new()
    {
        SessionTimeout = sessionTimeout ?? SessionTimeout,
        ConnectTimeout = ConnectTimeout,
        InitialConnectTimeout = InitialConnectTimeout,
    };

    internal static string ConnectStringOf(string? value, string key)
    {
        if (string.IsNullOrWhiteSpace(value))
            throw new ConfigurationException($"{key} is empty: set it to host:port[,host:port...][/chroot] of the Coord ensemble.");
        return value.Trim();
    }

    internal static TimeSpan Positive(Config c, string key, string prefix = "coord.akka")
    {
        TimeSpan value;
        try
        {
            value = c.GetTimeSpan(key, null, allowInfinite: false);
        }
        catch (Exception e) when (e is not ConfigurationException)
        {
            throw new ConfigurationException($"{prefix}.{key} is not a duration (e.g. 10s, 500ms): {e.Message}");
        }

        return value > TimeSpan.Zero
            ? value
            : throw new ConfigurationException($"{prefix}.{key} must be a positive duration (e.g. 10s), not {value}.");
    }
}
