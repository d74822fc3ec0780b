using System.Globalization;
using System.Net;
using Akka;
using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Settings;
using Coord.Host.Admin.Http;
using Coord.Interop.Specs.Harness;
using Microsoft.Extensions.Logging.Abstractions;

namespace Coord.Host.Specs.Admin;

/// <summary>
/// /health and /ready through a server's life: 503 while it recovers, 200 while it serves, 503 from the first phase of
/// its shutdown until the admin server closes last; the listener is there only when coord.admin.enabled. The
/// in-process specs hold a phase (recovery, shutdown) open on an event so the in-between state is certain to be seen.
/// </summary>
public sealed class ReadinessSpecs
{
    private static readonly TimeSpan Deadline = TimeSpan.FromSeconds(30);

    private static CoordSettings Settings(string dir)
    {
        var d = CoordSettings.Default;
        return d with { DataDir = dir, Client = d.Client with { Port = 0 }, Admin = d.Admin with { Port = 0 } };
    }

    [Fact]
    public async Task Ready_is_503_while_the_server_recovers_and_200_once_it_serves_while_health_is_200_throughout()
    {
        var dir = TempDir.Create("coord-ready");
        using var release = new ManualResetEventSlim();
        var opening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        // Recovery opens the journal first: held here, the server is alive and not yet serving.
        var server = new CoordServer(Settings(dir), NullLoggerFactory.Instance, (d, log) =>
        {
            opening.TrySetResult();
            release.Wait(Deadline);
            return SqliteJournal.Open(d, log);
        });
        try
        {
            var start = Task.Run(server.StartAsync);
            var admin = Uri(await server.AdminListening.WaitAsync(Deadline));
            await opening.Task.WaitAsync(Deadline);

            var ready = await AdminHttp.GetAsync(admin, "ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Equal(("False", "starting", "standalone"), Ready(ready));
            Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(admin, "health")).Status);
            var ruok = await AdminHttp.GetAsync(admin, "commands/ruok");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ruok.Status);
            Assert.Equal(AdminCommands.NotServingError, ruok.Json.GetProperty("error").GetString());
            Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(admin, "commands/envi")).Status); // needs no server, as ZooKeeper's
            Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(admin, "metrics")).Status);

            release.Set();
            await start.WaitAsync(Deadline);
            ready = await AdminHttp.GetAsync(admin, "ready");
            Assert.Equal(HttpStatusCode.OK, ready.Status);
            Assert.Equal(("True", "serving", "standalone"), Ready(ready));
            Assert.Equal("{\"status\":\"ok\"}", (await AdminHttp.GetAsync(admin, "health")).Body);
        }
        finally
        {
            release.Set();
            await server.DisposeAsync();
            TempDir.Delete(dir);
        }
    }

    [Fact]
    public async Task Ready_turns_503_when_shutdown_begins_while_the_admin_server_answers_until_the_core_has_stopped()
    {
        var dir = TempDir.Create("coord-ready");
        var server = new CoordServer(Settings(dir), NullLoggerFactory.Instance);
        try
        {
            await server.StartAsync();
            var admin = Uri(await server.AdminListening);
            Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(admin, "ready")).Status);

            // Hold the shutdown in its unbind phase (the phase after the one that turns /ready off).
            var held = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            CoordinatedShutdown.Get(server.ActorSystem).AddTask(CoordinatedShutdown.PhaseServiceUnbind, "spec-hold", async () =>
            {
                held.TrySetResult();
                await release.Task;
                return Done.Instance;
            });
            var stopping = server.DisposeAsync().AsTask();
            await held.Task.WaitAsync(Deadline);

            var ready = await AdminHttp.GetAsync(admin, "ready");
            Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.Status);
            Assert.Equal(("False", "stopping", "standalone"), Ready(ready));
            Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(admin, "health")).Status);
            Assert.Equal(HttpStatusCode.ServiceUnavailable, (await AdminHttp.GetAsync(admin, "commands/srvr")).Status);

            release.SetResult();
            await stopping.WaitAsync(Deadline);
            Assert.Null(await AdminHttp.GetOrRefusedAsync(admin, "ready")); // closed with the server
        }
        finally
        {
            await server.DisposeAsync();
            TempDir.Delete(dir);
        }
    }

    [Fact]
    public async Task On_SIGTERM_coord_serve_stops_being_ready_before_it_stops_answering_and_exits_0()
    {
        await using var coord = await CoordProcess.StartAsync();
        Assert.Equal(HttpStatusCode.OK, (await AdminHttp.GetAsync(coord.Admin!, "ready")).Status);

        Posix.Signal(coord.Process.Pid, Posix.SigTerm);
        // "Stopping" is logged in the unbind phase, after /ready turned 503 in the phase before: from then on a probe
        // sees 503 or, once the admin server has closed at the end, no listener; never 200 again.
        await coord.Process.WaitForLineAsync(l => l.Contains("Coord.Server[3004] Stopping", StringComparison.Ordinal), Deadline, "the Stopping line");
        var probe = await AdminHttp.GetOrRefusedAsync(coord.Admin!, "ready");
        Assert.True(probe is null || probe.Status == HttpStatusCode.ServiceUnavailable, probe?.ToString());

        Assert.Equal(0, await coord.Process.Exited.WaitAsync(Deadline));
        Assert.Null(await AdminHttp.GetOrRefusedAsync(coord.Admin!, "ready"));
        Assert.Contains("Coord.Admin[3101] Admin HTTP server stopped", coord.Process.Stdout.Text());
    }

    [Fact]
    public async Task Coord_serve_listens_on_the_admin_port_it_printed_and_with_the_admin_server_off_on_the_client_port_only()
    {
        await using (var on = await CoordProcess.StartAsync())
        {
            Assert.NotNull(on.Admin);
            Assert.Equal(new[] { on.ClientPort, on.Admin!.Port }.Order(), ListeningPorts(on.Process.Pid).Order());
        }
        await using var off = await CoordProcess.StartAsync("coord { admin.enabled = false }", args: []);
        Assert.Null(off.Admin);
        Assert.DoesNotContain("coord: admin on", off.Process.Stdout.Text(), StringComparison.Ordinal);
        Assert.DoesNotContain("Coord.Admin[", off.Process.Stdout.Text(), StringComparison.Ordinal);
        Assert.Equal([off.ClientPort], ListeningPorts(off.Process.Pid));
    }

    [Fact]
    public async Task An_admin_port_in_use_stops_the_start_with_an_error_that_names_the_key_and_leaves_the_data_folder_free()
    {
        var dir = TempDir.Create("coord-ready");
        using var taken = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        int port = ((IPEndPoint)taken.LocalEndpoint).Port;
        try
        {
            var settings = Settings(dir);
            await using (var server = new CoordServer(settings with { Admin = settings.Admin with { Port = port } }, NullLoggerFactory.Instance))
            {
                var e = await Assert.ThrowsAsync<IOException>(server.StartAsync);
                Assert.Contains($"cannot listen on 127.0.0.1:{port}", e.Message);
                Assert.Contains("coord.admin.port", e.Message);
            }
            // Nothing was left behind: the same folder serves with a free admin port.
            await using var next = new CoordServer(settings, NullLoggerFactory.Instance);
            await next.StartAsync();
        }
        finally
        {
            TempDir.Delete(dir);
        }
    }

    private static Uri Uri(IPEndPoint admin) => new($"http://{admin}/");

    private static (string Ready, string State, string ServerState) Ready(HttpAnswer a) =>
        (a.Json.GetProperty("ready").ToString(), a.Json.GetProperty("state").GetString()!, a.Json.GetProperty("server_state").GetString()!);

    /// <summary>TCP ports the process listens on: its socket inodes (/proc/PID/fd) in LISTEN state in /proc/net/tcp{,6}.</summary>
    private static List<int> ListeningPorts(int pid)
    {
        var inodes = new HashSet<string>();
        foreach (var fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            var target = new FileInfo(fd).LinkTarget;
            if (target is not null && target.StartsWith("socket:[", StringComparison.Ordinal)) inodes.Add(target[8..^1]);
        }
        var ports = new List<int>();
        foreach (var table in new[] { "/proc/net/tcp", "/proc/net/tcp6" })
        {
            foreach (var line in File.ReadLines(table).Skip(1))
            {
                var f = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                // local_address rem_address st ... inode: st 0A is LISTEN.
                if (f[3] == "0A" && inodes.Contains(f[9])) ports.Add(int.Parse(f[1].Split(':')[1], NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }
        }
        return ports;
    }
}
