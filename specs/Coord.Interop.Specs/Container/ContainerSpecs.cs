using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Coord.Client;
using Coord.Interop.Specs.Harness;
using Xunit.Abstractions;

namespace Coord.Interop.Specs.Container;

/// <summary>
/// The container image (docker/Dockerfile) and the three-member compose file (docker/compose.yaml), run by podman
/// as root on this machine. The image is built from a prebuilt self-contained publish on a Debian base made by
/// debootstrap (<see cref="ContainerImages"/>); everything a spec starts carries a label and is removed at the end,
/// containers, volumes and networks alike (images stay cached). Real clients: Debian's zkCli and Coord.Client.
/// </summary>
[Collection(nameof(ContainerCollection))]
public sealed class ContainerSpecs(ContainerImages images, ITestOutputHelper output)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private static readonly TimeSpan RoleTimeout = TimeSpan.FromSeconds(60);

    [ContainerFact]
    public async Task Standalone_container_serves_zkCli_keeps_its_data_in_the_volume_and_passes_its_healthcheck()
    {
        var image = await ImageAsync();
        var name = $"coord-spec-{Guid.NewGuid():N}"[..24];
        var label = $"coord-spec={name}";
        try
        {
            // What the image declares: a non-root user, the /data volume, the three ports, a HEALTHCHECK.
            var inspect = JsonDocument.Parse(await Podman.RunAsync(["image", "inspect", image])).RootElement[0];
            var config = inspect.GetProperty("Config");
            Assert.Equal("coord", config.GetProperty("User").GetString());
            Assert.True(config.GetProperty("Volumes").TryGetProperty("/data", out _), config.ToString());
            var ports = config.GetProperty("ExposedPorts").EnumerateObject().Select(p => p.Name).Order().ToList();
            Assert.Equal(["2181/tcp", "2888/tcp", "8080/tcp"], ports);
            // podman keeps a HEALTHCHECK only in the docker format (`podman build --format docker`), and shows it here.
            Assert.Equal("CMD /opt/coord/coord health",
                string.Join(' ', inspect.GetProperty("Healthcheck").GetProperty("Test").EnumerateArray().Select(e => e.GetString())));

            await Podman.RunAsync(["volume", "create", "--label", label, $"{name}-data"]);
            // Host ports chosen by podman on 127.0.0.1 (the `-p 127.0.0.1::PORT` form), read back with `podman port`.
            await Podman.RunAsync(["run", "-d", "--name", name, "--label", label, .. Podman.UlimitArgs.Value,
                "-p", "127.0.0.1::2181", "-p", "127.0.0.1::8080", "-v", $"{name}-data:/data", image]);
            await using (var log = ContainerLog.Follow(name))
                await log.LineAsync(l => ContainerLog.ServingLine().IsMatch(l), StartTimeout, "serving clients");
            var client = await Podman.PublishedAsync(name, 2181);
            var admin = await Podman.PublishedAsync(name, 8080);

            Assert.Equal("10001", await Podman.RunAsync(["exec", name, "id", "-u"]));
            var created = await ZkCliAsync(client, "create", "/container-spec", "from-zkcli");
            Assert.Contains("Created /container-spec", created);
            Assert.Contains("from-zkcli", Lines(await ZkCliAsync(client, "get", "/container-spec")));

            using (var http = new HttpClient())
            {
                var health = await http.GetAsync(new Uri($"http://{admin.Host}:{admin.Port}/health"));
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                Assert.Contains("\"status\":\"ok\"", await health.Content.ReadAsStringAsync());
            }

            // The image's HEALTHCHECK (`coord health` inside the container) run by podman, as its timer would.
            var check = await Podman.TryAsync(["healthcheck", "run", name]);
            Assert.True(check.ExitCode == 0, $"podman healthcheck run {name}\n{check}");
            Assert.Equal("healthy", await Podman.RunAsync(["inspect", "--format", "{{.State.Health.Status}}", name]));

            // SIGTERM (podman stop) ends it cleanly, and the data is still there when it starts again on the same volume.
            await Podman.RunAsync(["stop", "-t", "30", name], TimeSpan.FromSeconds(60));
            Assert.Equal("0", await Podman.RunAsync(["inspect", "--format", "{{.State.ExitCode}}", name]));
            await Podman.RunAsync(["start", name]);
            await using (var log = ContainerLog.Follow(name))
                await log.LineAsync(l => ContainerLog.ServingLine().IsMatch(l), StartTimeout, "serving clients after the restart", skip: 1);
            client = await Podman.PublishedAsync(name, 2181);
            Assert.Contains("from-zkcli", Lines(await ZkCliAsync(client, "get", "/container-spec")));
        }
        finally
        {
            await Podman.RemoveLabelledAsync(label);
        }
        await AssertNothingLeftAsync(label);
    }

    [ComposeFact]
    public async Task Compose_ensemble_keeps_writing_when_the_leader_container_is_killed_and_the_restarted_member_catches_up()
    {
        var image = await ImageAsync();
        var project = $"coordspec{Guid.NewGuid():N}"[..17];
        var label = $"com.docker.compose.project={project}";
        var clientPorts = Enumerable.Range(1, 3).ToDictionary(n => n, _ => Net.FreePort());
        var env = new Dictionary<string, string> { ["COORD_IMAGE"] = image, ["COORD_CLIENT_ADDRESS"] = "127.0.0.1" };
        foreach (var n in clientPorts.Keys)
        {
            env[$"COORD{n}_CLIENT_PORT"] = clientPorts[n].ToString(CultureInfo.InvariantCulture);
            env[$"COORD{n}_ADMIN_PORT"] = Net.FreePort().ToString(CultureInfo.InvariantCulture);
        }
        string[] compose =
        [
            "--podman-args", string.Join(' ', Podman.GlobalArgs), "--podman-run-args", string.Join(' ', Podman.UlimitArgs.Value),
            "-p", project, "-f", Path.Combine(RepoPaths.Root, "docker", "compose.yaml"),
        ];
        var logs = new Dictionary<int, ContainerLog>();
        try
        {
            var up = await Tools.RunAsync(Podman.Compose, [.. compose, "up", "-d"], TimeSpan.FromMinutes(3), env: env);
            Assert.True(up.ExitCode == 0, $"podman-compose up\n{up}");
            var names = new Dictionary<int, string>();
            foreach (var n in clientPorts.Keys)
            {
                names[n] = await Podman.RunAsync(["ps", "--filter", $"label={label}", "--filter", $"label=com.docker.compose.service=coord{n}",
                    "--format", "{{.Names}}"]);
                Assert.False(string.IsNullOrEmpty(names[n]), $"no running container for service coord{n}\n{up}");
                logs[n] = ContainerLog.Follow(names[n]);
            }
            string Address(int n) => $"127.0.0.1:{clientPorts[n]}";

            // 1. One member leads, the two others follow it in the same epoch, all serving.
            var (leader, epoch) = await EstablishedAsync(logs, clientPorts.Keys.ToList(), afterEpoch: 0);
            var followers = clientPorts.Keys.Where(n => n != leader).ToList();
            output.WriteLine($"member {leader} leads in epoch {epoch}");
            var expected = new Dictionary<string, string>();
            await using (var zk = await CoordClient.ConnectAsync(Address(followers[0])))
            {
                await zk.CreateAsync("/spec", null);
                await WriteAsync(zk, "before", expected);
            }

            // 2. Kill the leader's container; the two others elect a leader in a newer epoch and take writes.
            await Podman.RunAsync(["kill", names[leader]]);
            await Podman.RunAsync(["wait", names[leader]], TimeSpan.FromSeconds(30));
            await logs[leader].DisposeAsync();
            logs.Remove(leader);
            var (leader2, epoch2) = await EstablishedAsync(logs, followers, afterEpoch: epoch);
            output.WriteLine($"after the kill, member {leader2} leads in epoch {epoch2}");
            await using (var zk = await CoordClient.ConnectAsync(string.Join(",", followers.Select(Address))))
                await WriteAsync(zk, "during", expected);

            // 3. Restart the killed container: it follows the new leader, syncs, and serves what was written without it.
            await Podman.RunAsync(["start", names[leader]]);
            logs[leader] = ContainerLog.Follow(names[leader]);
            await logs[leader].RoleAsync(r => r.State == "following" && r.Leader == leader2 && r.Epoch == epoch2 && r.Serving, RoleTimeout,
                $"member {leader} following {leader2} in epoch {epoch2}, serving");
            await using (var zk = await CoordClient.ConnectAsync(Address(leader)))
                await WriteAsync(zk, "after", expected);
            Assert.Contains("during 0", Lines(await ZkCliAsync(Address(leader), "get", "/spec/during-0")));

            // 4. Every member holds the same nodes, data and Stats: the ones written before, during and after.
            var views = new Dictionary<int, string>();
            foreach (var n in clientPorts.Keys) views[n] = await ViewAsync(Address(n));
            var want = string.Join('\n', expected.OrderBy(e => e.Key, StringComparer.Ordinal).Select(e => $"{e.Key}={e.Value}"));
            foreach (var n in clientPorts.Keys)
            {
                Assert.Equal(want, string.Join('\n', views[n].Split('\n').Select(l => l.Split(' ')[0])));
                Assert.True(views[n] == views[leader2], $"member {n} differs from leader {leader2}:\n{views[n]}\n---\n{views[leader2]}");
            }

            // 5. The compose healthcheck (`coord health` in each container) passes on all three.
            foreach (var n in clientPorts.Keys)
            {
                var check = await Podman.TryAsync(["healthcheck", "run", names[n]]);
                Assert.True(check.ExitCode == 0, $"healthcheck of {names[n]}\n{check}");
            }
        }
        catch (Exception) when (logs.Count > 0)
        {
            foreach (var log in logs.Values) output.WriteLine(log.Describe());
            throw;
        }
        finally
        {
            foreach (var log in logs.Values) await log.DisposeAsync();
            await Podman.RemoveLabelledAsync(label);
        }
        await AssertNothingLeftAsync(label);
    }

    private async Task<string> ImageAsync()
    {
        var image = await images.CoordAsync();
        foreach (var step in images.Timings) output.WriteLine(step);
        return image;
    }

    /// <summary>Waits until one of <paramref name="members"/> leads in an epoch after <paramref name="afterEpoch"/>, serving,
    /// and every other one follows it in that epoch, serving.</summary>
    private static async Task<(int Leader, long Epoch)> EstablishedAsync(Dictionary<int, ContainerLog> logs, List<int> members, long afterEpoch)
    {
        var leading = members.Select(n => logs[n].RoleAsync(r => r.State == "leading" && r.Serving && r.Epoch > afterEpoch, RoleTimeout,
            $"a leader after epoch {afterEpoch}")).ToList();
        var first = await await Task.WhenAny(leading);
        int leader = (int)first.Leader;
        foreach (var n in members.Where(n => n != leader))
        {
            await logs[n].RoleAsync(r => r.State == "following" && r.Leader == leader && r.Epoch == first.Epoch && r.Serving, RoleTimeout,
                $"member {n} following {leader} in epoch {first.Epoch}, serving");
        }
        return (leader, first.Epoch);
    }

    private static async Task WriteAsync(CoordClient zk, string phase, Dictionary<string, string> expected)
    {
        for (int i = 0; i < 10; i++)
        {
            var path = $"/spec/{phase}-{i}";
            var data = $"{phase} {i}";
            await zk.CreateAsync(path, Encoding.UTF8.GetBytes(data));
            expected[path] = data.Replace(' ', '_');
        }
    }

    /// <summary>One member's /spec subtree after a sync: "path=data czxid mzxid version" per child, in name order.</summary>
    private static async Task<string> ViewAsync(string address)
    {
        await using var zk = await CoordClient.ConnectAsync(address);
        await zk.SyncAsync("/spec");
        var lines = new List<string>();
        foreach (var child in (await zk.GetChildrenAsync("/spec")).Order(StringComparer.Ordinal))
        {
            var node = await zk.GetDataAsync($"/spec/{child}");
            var s = node.Stat;
            lines.Add($"/spec/{child}={Encoding.UTF8.GetString(node.Data).Replace(' ', '_')} czxid=0x{s.Czxid:x} mzxid=0x{s.Mzxid:x} version={s.Version}");
        }
        return string.Join('\n', lines);
    }

    private static async Task<string> ZkCliAsync((string Host, int Port) server, params string[] command) =>
        await ZkCliAsync($"{server.Host}:{server.Port}", command);

    private static async Task<string> ZkCliAsync(string server, params string[] command)
    {
        var result = await Tools.RunAsync(Tools.ZkCli, ["-server", server, .. command], TimeSpan.FromSeconds(60),
            env: new Dictionary<string, string> { ["CLIENT_JVMFLAGS"] = "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC" });
        return $"{result.Stdout}\n{result.Stderr}";
    }

    private static string[] Lines(string text) => [.. text.Split('\n').Select(l => l.TrimEnd())];

    private static async Task AssertNothingLeftAsync(string label)
    {
        foreach (var list in new[] { new[] { "ps", "-aq" }, ["volume", "ls", "-q"], ["network", "ls", "-q"] })
            Assert.Equal("", await Podman.RunAsync([.. list, "--filter", $"label={label}"]));
    }
}
