using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using Coord.Bench;

// Entry point: parse options, wire Ctrl-C / SIGTERM to one cancellation token (so --compare's servers
// are stopped and their temp dirs deleted on the way out), then run either mode.

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (OptionException e)
{
    if (e.Message.Length > 0) Console.Error.WriteLine($"coord-bench: {e.Message}");
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true;
    Console.Error.WriteLine("coord-bench: interrupted, stopping");
    cts.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
{
    ctx.Cancel = true;
    cts.Cancel();
});

try
{
    if (options.Failover) return await Failover.RunAsync(options, cts.Token);
    if (options.SyncFresh) return await SyncFresh.RunAsync(options, cts.Token);
    if (options.Compare) return await Compare.RunAsync(options, cts.Token);

    var endPoint = await ResolveAsync(options.Server!, cts.Token);
    var target = new Target(options.Label, options.Label, endPoint, options.ServerPid);
    Console.WriteLine(Report.Header);
    var results = new List<RunResult>();
    foreach (var run in WorkloadRun.Plan(options))
    {
        var r = await WorkloadRun.RunAsync(target, run, options, cts.Token);
        results.Add(r);
        Console.WriteLine(Report.Line(r));
    }
    foreach (var r in results) Console.WriteLine(Report.Json(r, round: 1));
    return results.All(r => r.Clean) ? 0 : 1;
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    return 130;
}
catch (Exception e) when (e is InvalidOperationException or TimeoutException or IOException or System.Net.Sockets.SocketException)
{
    Console.Error.WriteLine($"coord-bench: {e.Message}");
    return 1;
}

static async Task<EndPoint> ResolveAsync(string hostPort, CancellationToken ct)
{
    int colon = hostPort.LastIndexOf(':');
    if (colon <= 0 || !int.TryParse(hostPort[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int port))
        throw new InvalidOperationException($"--server expects HOST:PORT, got '{hostPort}'");
    string host = hostPort[..colon];
    if (IPAddress.TryParse(host, out var ip)) return new IPEndPoint(ip, port);
    var addresses = await Dns.GetHostAddressesAsync(host, ct);
    var v4 = addresses.FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork) ?? addresses.FirstOrDefault()
        ?? throw new InvalidOperationException($"cannot resolve {host}");
    return new IPEndPoint(v4, port);
}
