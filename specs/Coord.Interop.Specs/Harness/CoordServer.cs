using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Coord.Interop.Specs.Harness;

/// <summary>
/// The coord executable (Coord.Host) started with <c>serve --client-port 0</c>; the bound port is read
/// from the "serving clients on 127.0.0.1:PORT" line it prints to stdout once it listens.
/// </summary>
internal sealed partial class CoordServer(ChildProcess process, string workDir, string dataDir, string host, int port)
    : ServerProcessBase(process, workDir, host, port)
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(20);

    public override string Kind => "coord";

    /// <summary>The server's data folder: inside its temp folder, or <see cref="ServerOptions.DataDir"/> (kept on dispose).</summary>
    public override string DataDir { get; } = dataDir;

    [GeneratedRegex(@"serving clients on (?<host>[0-9.]+):(?<port>\d+)")]
    private static partial Regex ServingLine();

    public static async Task<IServerProcess> StartAsync(ServerOptions options, CancellationToken ct)
    {
        var dll = RepoPaths.CoordDll;
        if (!File.Exists(dll))
        {
            throw new InvalidOperationException($"coord is not built: {dll} is missing (dotnet build the specs project).");
        }

        var workDir = TempDir.Create("coord");
        var dataDir = options.DataDir ?? Path.Combine(workDir, "data");
        Directory.CreateDirectory(dataDir);
        var configPath = Path.Combine(workDir, "coord.conf");
        File.WriteAllText(configPath, Hocon(options));

        var process = ChildProcess.Start("dotnet",
            [dll, "serve", "--client-port", "0", "--admin-port", "0", "--data-dir", dataDir, "--config", configPath], workDir);
        try
        {
            using var linked = CancellationTokenSource.CreateLinkedTokenSource(ct);
            var line = await process.WaitForLineAsync(l => ServingLine().IsMatch(l), ReadyTimeout,
                "coord to print 'serving clients on 127.0.0.1:<port>'");
            var match = ServingLine().Match(line);
            return new CoordServer(process, workDir, dataDir, match.Groups["host"].Value,
                int.Parse(match.Groups["port"].Value, CultureInfo.InvariantCulture));
        }
        catch
        {
            await process.DisposeAsync();
            TempDir.Delete(workDir);
            throw;
        }
    }

    internal static string Hocon(ServerOptions options)
    {
        var sb = new StringBuilder();
        sb.AppendLine("coord {");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  tick-ms = {options.TickMs}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"  znode.extended-types-enabled = {(options.ExtendedTypes ? "true" : "false")}");
        if (options.SuperDigest is { } digest)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  auth.super-digest = \"{digest}\"");
        }

        if (options.ConnectionsPerIpMax is { } perIp)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  client.connections-per-ip-max = {perIp}");
        }

        if (!options.ExistsRequiresRead)
        {
            sb.AppendLine("  auth.exists-requires-read = false");
        }

        if (options.MaxSessionTimeoutMs is { } max)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  session.timeout-ms-max = {max}");
        }

        if (options.ContainerCheckIntervalMs is { } interval)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  znode.container-check-interval-ms = {interval}");
        }

        foreach (var line in options.ExtraHocon ?? [])
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"  {line}");
        }

        sb.AppendLine("}");
        return sb.ToString();
    }
}
