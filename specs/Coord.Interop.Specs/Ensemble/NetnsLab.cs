using System.Globalization;
using System.Runtime.InteropServices;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// A private network for an ensemble (needs root): one network namespace per member, each with a veth pair whose
/// other end hangs on a bridge in the caller's namespace; the bridge has .1 of a /24 nobody on this host uses, member N
/// has .(10+N). The test process reaches every member through the bridge. <see cref="CutAsync"/> installs an nftables
/// table inside one member's namespace that drops its traffic to and from the other members (the bridge's own address,
/// so the test's clients, still passes); <see cref="HealAsync"/> deletes it. Disposing deletes the namespaces (which
/// takes their veth ends with them) and the bridge; nothing outside what this lab created is touched.
/// </summary>
internal sealed class NetnsLab : IAsyncDisposable
{
    private const string CutTable = "coordcut";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _namespaces = new();
    private string? _bridge;

    private NetnsLab(string tag, string subnet)
    {
        Tag = tag;
        Subnet = subnet;
    }

    public string Tag { get; }
    /// <summary>The first three octets, e.g. "10.213.7".</summary>
    public string Subnet { get; }
    public string BridgeAddress => $"{Subnet}.1";
    public string AddressOf(int id) => $"{Subnet}.{10 + id}";
    public string NamespaceOf(int id) => $"coord{Tag}m{id}";

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Why this machine cannot host the lab (not root, no ip, no nft), or null when it can.</summary>
    public static string? Unavailable()
    {
        if (GetEuid() != 0) return "the partition spec needs root (network namespaces, veth, a bridge and nftables); run the specs as root";
        foreach (var tool in new[] { "/usr/sbin/ip", "/usr/sbin/nft" })
            if (!File.Exists(tool)) return $"{tool} is missing (apt-get install {(tool.EndsWith("nft", StringComparison.Ordinal) ? "nftables" : "iproute2")})";
        return null;
    }

    public static async Task<NetnsLab> CreateAsync(int members)
    {
        var tag = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant()[..6];
        var lab = new NetnsLab(tag, await FreeSubnetAsync());
        try
        {
            var bridge = $"cbr{tag}";
            await IpAsync("link", "add", bridge, "type", "bridge");
            lab._bridge = bridge;
            await IpAsync("addr", "add", $"{lab.BridgeAddress}/24", "dev", bridge);
            await IpAsync("link", "set", bridge, "up");
            for (int id = 1; id <= members; id++)
            {
                var ns = lab.NamespaceOf(id);
                var hostEnd = $"cv{tag}h{id}";
                var nsEnd = $"cv{tag}n{id}";
                await IpAsync("netns", "add", ns);
                lab._namespaces.Add(ns);
                await IpAsync("link", "add", hostEnd, "type", "veth", "peer", "name", nsEnd);
                await IpAsync("link", "set", nsEnd, "netns", ns);
                await IpAsync("link", "set", hostEnd, "master", bridge);
                await IpAsync("link", "set", hostEnd, "up");
                await IpAsync("netns", "exec", ns, "ip", "addr", "add", $"{lab.AddressOf(id)}/24", "dev", nsEnd);
                await IpAsync("netns", "exec", ns, "ip", "link", "set", nsEnd, "up");
                await IpAsync("netns", "exec", ns, "ip", "link", "set", "lo", "up");
            }
            return lab;
        }
        catch
        {
            await lab.DisposeAsync();
            throw;
        }
    }

    /// <summary>Drops every packet between member <paramref name="id"/> and the <paramref name="others"/>, inside its namespace.</summary>
    public async Task CutAsync(int id, IEnumerable<int> others)
    {
        var peers = string.Join(", ", others.Select(AddressOf));
        var rules = $$"""
            table inet {{CutTable}} {
              chain input { type filter hook input priority 0; policy accept; ip saddr { {{peers}} } drop; }
              chain output { type filter hook output priority 0; policy accept; ip daddr { {{peers}} } drop; }
            }
            """;
        var result = await Tools.RunAsync("/usr/sbin/ip", ["netns", "exec", NamespaceOf(id), "nft", "-f", "-"], CommandTimeout, stdin: rules);
        if (result.ExitCode != 0) throw new InvalidOperationException($"nft in {NamespaceOf(id)} refused the cut:\n{rules}\n{result}");
    }

    public async Task HealAsync(int id) => await IpAsync("netns", "exec", NamespaceOf(id), "nft", "delete", "table", "inet", CutTable);

    private static async Task IpAsync(params string[] args)
    {
        var result = await Tools.RunAsync("/usr/sbin/ip", args, CommandTimeout);
        if (result.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {result}");
    }

    /// <summary>A 10.x.y.0/24 that no address or route on this host overlaps.</summary>
    private static async Task<string> FreeSubnetAsync()
    {
        var used = (await Tools.RunAsync("/usr/sbin/ip", ["-4", "route", "show", "table", "all"], CommandTimeout)).Stdout
                   + (await Tools.RunAsync("/usr/sbin/ip", ["-4", "addr"], CommandTimeout)).Stdout;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var subnet = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}");
            if (!used.Contains(subnet + ".", StringComparison.Ordinal) && !used.Contains("10.0.0.0/8", StringComparison.Ordinal)) return subnet;
        }
        throw new InvalidOperationException($"found no free 10.x.y.0/24 for the partition lab; routes and addresses here:\n{used}");
    }

    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        foreach (var ns in _namespaces)
        {
            var r = await Tools.RunAsync("/usr/sbin/ip", ["netns", "del", ns], CommandTimeout);
            if (r.ExitCode != 0) problems.Add($"ip netns del {ns}: {r}");
        }
        _namespaces.Clear();
        if (_bridge is { } bridge)
        {
            var r = await Tools.RunAsync("/usr/sbin/ip", ["link", "del", bridge], CommandTimeout);
            if (r.ExitCode != 0) problems.Add($"ip link del {bridge}: {r}");
            _bridge = null;
        }
        if (problems.Count > 0) throw new InvalidOperationException("partition lab cleanup failed:\n" + string.Join("\n", problems));
    }
}
