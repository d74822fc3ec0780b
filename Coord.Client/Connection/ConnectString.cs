using System.Globalization;

namespace Coord.Client.Connection;

/// <summary>A host and port from a connect string; the name is resolved again on every connection attempt.</summary>
internal sealed record HostPort(string Host, int Port)
{
    public override string ToString() => $"{Host}:{Port}";
}

/// <summary>
/// <c>host1:port1,host2:port2/chroot</c>: the hosts (port 2181 when omitted) and an optional chroot that is
/// prefixed to every path the client sends and removed from every path it receives.
/// </summary>
internal sealed record ConnectString(IReadOnlyList<HostPort> Hosts, string? Chroot)
{
    public const int DefaultPort = 2181;

    public static ConnectString Parse(string text)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(text);
        string? chroot = null;
        int slash = text.IndexOf('/');
        string hostPart = text;
        if (slash >= 0)
        {
            chroot = text[slash..].TrimEnd('/');
            hostPart = text[..slash];
            if (chroot.Length == 0) chroot = null;
            else Paths.Validate(chroot, nameof(text));
        }
        var hosts = new List<HostPort>();
        foreach (var raw in hostPart.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int colon = raw.LastIndexOf(':');
            // "[::1]:2181" or "host:2181"; a bare IPv6 literal without brackets has several colons and no port.
            if (colon > 0 && raw.IndexOf(':') == colon || raw.StartsWith('[') && colon > raw.IndexOf(']'))
            {
                string host = raw[..colon].Trim('[', ']');
                if (!int.TryParse(raw[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
                    throw new ArgumentException($"bad port in connect string entry \"{raw}\"", nameof(text));
                hosts.Add(new HostPort(host, port));
            }
            else
            {
                hosts.Add(new HostPort(raw.Trim('[', ']'), DefaultPort));
            }
        }
        if (hosts.Count == 0) throw new ArgumentException($"no host in connect string \"{text}\"", nameof(text));
        return new ConnectString(hosts, chroot);
    }

    /// <summary>The server path for a client path.</summary>
    public string ToServer(string path) => Chroot is null ? path : path == "/" ? Chroot : Chroot + path;

    /// <summary>The client path for a server path (unchanged if it lies outside the chroot).</summary>
    public string FromServer(string path)
    {
        if (Chroot is null || !path.StartsWith(Chroot, StringComparison.Ordinal)) return path;
        if (path.Length == Chroot.Length) return "/";
        return path[Chroot.Length] == '/' ? path[Chroot.Length..] : path;
    }
}

/// <summary>Client-side path checks, so an obviously bad path fails before it is sent.</summary>
internal static class Paths
{
    public static void Validate(string path, string paramName = "path", bool sequential = false)
    {
        ArgumentNullException.ThrowIfNull(path, paramName);
        if (path.Length == 0 || path[0] != '/') throw new ArgumentException($"path must start with '/': \"{path}\"", paramName);
        if (path.Length == 1) return;
        if (path[^1] == '/' && !sequential) throw new ArgumentException($"path must not end with '/': \"{path}\"", paramName);
        if (path.Contains("//", StringComparison.Ordinal)) throw new ArgumentException($"empty node name in \"{path}\"", paramName);
        foreach (var part in path.Split('/'))
        {
            if (part is "." or "..") throw new ArgumentException($"relative path element in \"{path}\"", paramName);
        }
        if (path.Contains('\0')) throw new ArgumentException($"null character in \"{path}\"", paramName);
    }
}
