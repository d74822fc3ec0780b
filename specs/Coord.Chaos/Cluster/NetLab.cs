using System.Globalization;
using System.Runtime.InteropServices;

namespace Coord.Chaos.Cluster;

/// <summary>
/// A private network for an ensemble (needs root): one network namespace per member, a veth pair from each to a bridge
/// in the caller's namespace; the bridge has .1 of a /24 nobody on this host uses, member N has .(10+N). The runner and
/// its clients reach every member through the bridge, so a cut between members never cuts a client off.
/// Partitions are a set of directed drops (from → to): <see cref="ApplyAsync"/> rewrites each member's nftables table
/// so that member drops its output to every "to" it may not reach and its input from every "from" that may not reach
/// it. Disposing deletes the namespaces (and their veth ends) and the bridge; nothing else is touched.
/// </summary>
public sealed class NetLab : IAsyncDisposable
{
    private const string Table = "coordchaos";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _namespaces = [];
    private readonly HashSet<int> _tabled = [];
    private string? _bridge;

    private NetLab(string tag, string subnet, int members)
    {
        Tag = tag;
        Subnet = subnet;
        Members = members;
    }

    public string Tag { get; }
    public string Subnet { get; }
    public int Members { get; }
    public string BridgeAddress => $"{Subnet}.1";
    public string AddressOf(int id) => $"{Subnet}.{10 + id}";
    public string NamespaceOf(int id) => $"chaos{Tag}m{id}";

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    /// <summary>Why this machine cannot host the lab (not root, no ip, no nft), or null when it can.</summary>
    public static string? Unavailable()
    {
        if (!OperatingSystem.IsLinux() || GetEuid() != 0) return "partitions need root on Linux (network namespaces, veth, a bridge, nftables)";
        foreach (var tool in new[] { "/usr/sbin/ip", "/usr/sbin/nft" })
            if (!File.Exists(tool)) return $"{tool} is missing (apt-get install {(tool.EndsWith("nft", StringComparison.Ordinal) ? "nftables" : "iproute2")})";
        return null;
    }

    public static async Task<NetLab> CreateAsync(int members)
    {
        var tag = Convert.ToHexString(BitConverter.GetBytes(Random.Shared.Next())).ToLowerInvariant()[..6];
        var lab = new NetLab(tag, await FreeSubnetAsync(), members);
        try
        {
            var bridge = $"chb{tag}";
            await IpAsync("link", "add", bridge, "type", "bridge");
            lab._bridge = bridge;
            await IpAsync("addr", "add", $"{lab.BridgeAddress}/24", "dev", bridge);
            await IpAsync("link", "set", bridge, "up");
            for (int id = 1; id <= members; id++)
            {
                var ns = lab.NamespaceOf(id);
                var hostEnd = $"chv{tag}h{id}";
                var nsEnd = $"chv{tag}n{id}";
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

    /// <summary>The drops that cut <paramref name="id"/> off from <paramref name="others"/> in both directions.</summary>
    public static HashSet<(int From, int To)> Isolating(int id, IEnumerable<int> others) =>
        [.. others.SelectMany(o => new[] { (id, o), (o, id) })];

    /// <summary>Makes the network drop exactly <paramref name="drops"/> (from → to) between members; an empty set heals all.</summary>
    public async Task ApplyAsync(IReadOnlySet<(int From, int To)> drops)
    {
        for (int id = 1; id <= Members; id++)
        {
            var outTo = drops.Where(d => d.From == id).Select(d => AddressOf(d.To)).ToList();
            var inFrom = drops.Where(d => d.To == id).Select(d => AddressOf(d.From)).ToList();
            if (_tabled.Remove(id)) await IpAsync("netns", "exec", NamespaceOf(id), "nft", "delete", "table", "inet", Table);
            if (outTo.Count == 0 && inFrom.Count == 0) continue;
            var rules = $"table inet {Table} {{\n" +
                        $"  chain input {{ type filter hook input priority 0; policy accept; {(inFrom.Count > 0 ? $"ip saddr {{ {string.Join(", ", inFrom)} }} drop;" : "")} }}\n" +
                        $"  chain output {{ type filter hook output priority 0; policy accept; {(outTo.Count > 0 ? $"ip daddr {{ {string.Join(", ", outTo)} }} drop;" : "")} }}\n" +
                        "}\n";
            var r = await Run.CommandAsync("/usr/sbin/ip", ["netns", "exec", NamespaceOf(id), "nft", "-f", "-"], CommandTimeout, rules);
            if (r.ExitCode != 0) throw new InvalidOperationException($"nft in {NamespaceOf(id)} refused:\n{rules}\n{r}");
            _tabled.Add(id);
        }
    }

    private static async Task IpAsync(params string[] args)
    {
        var r = await Run.CommandAsync("/usr/sbin/ip", args, CommandTimeout);
        if (r.ExitCode != 0) throw new InvalidOperationException($"ip {string.Join(' ', args)} failed: {r}");
    }

    private static async Task<string> FreeSubnetAsync()
    {
        var used = (await Run.CommandAsync("/usr/sbin/ip", ["-4", "route", "show", "table", "all"], CommandTimeout)).Stdout
                   + (await Run.CommandAsync("/usr/sbin/ip", ["-4", "addr"], CommandTimeout)).Stdout;
        for (int attempt = 0; attempt < 50; attempt++)
        {
            var subnet = string.Create(CultureInfo.InvariantCulture, $"10.{Random.Shared.Next(100, 250)}.{Random.Shared.Next(1, 250)}");
            if (!used.Contains(subnet + ".", StringComparison.Ordinal) && !used.Contains("10.0.0.0/8", StringComparison.Ordinal)) return subnet;
        }
        throw new InvalidOperationException($"found no free 10.x.y.0/24 for the chaos lab; routes and addresses here:\n{used}");
    }

    public async ValueTask DisposeAsync()
    {
        var problems = new List<string>();
        foreach (var ns in _namespaces)
        {
            var r = await Run.CommandAsync("/usr/sbin/ip", ["netns", "del", ns], CommandTimeout);
            if (r.ExitCode != 0) problems.Add($"ip netns del {ns}: {r}");
        }
        _namespaces.Clear();
        if (_bridge is { } bridge)
        {
            var r = await Run.CommandAsync("/usr/sbin/ip", ["link", "del", bridge], CommandTimeout);
            if (r.ExitCode != 0) problems.Add($"ip link del {bridge}: {r}");
            _bridge = null;
        }
        if (problems.Count > 0) throw new InvalidOperationException("chaos lab cleanup failed:\n" + string.Join("\n", problems));
    }
}
