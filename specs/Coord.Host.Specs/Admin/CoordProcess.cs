using System.Text.RegularExpressions;
using Coord.Interop.Specs.Harness;

namespace Coord.Host.Specs.Admin;

/// <summary>
/// A real `coord serve` process (coord.dll next to the specs) on free ports with a fresh data folder; the ports come
/// from the lines it prints. Disposing stops it with SIGTERM and deletes the folder.
/// </summary>
internal sealed partial class CoordProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);

    private CoordProcess(ChildProcess process, string workDir, int clientPort, Uri? admin)
    {
        Process = process;
        WorkDir = workDir;
        ClientPort = clientPort;
        Admin = admin;
    }

    public ChildProcess Process { get; }
    public string WorkDir { get; }
    public int ClientPort { get; }
    public string ConnectString => $"127.0.0.1:{ClientPort}";

    /// <summary>http://127.0.0.1:PORT/ from the "coord: admin on" line; null when the server printed none.</summary>
    public Uri? Admin { get; }

    [GeneratedRegex(@"^coord: admin on (?<url>http://127\.0\.0\.1:\d+)$")]
    public static partial Regex AdminLine();

    [GeneratedRegex(@"^coord: serving clients on 127\.0\.0\.1:(?<port>\d+)$")]
    private static partial Regex ServingLine();

    /// <param name="config">HOCON for a --config file, or null for none.</param>
    /// <param name="args">More arguments for `coord serve` (the default is `--admin-port 0`).</param>
    public static async Task<CoordProcess> StartAsync(string? config = null, string[]? args = null)
    {
        var workDir = TempDir.Create("serve");
        var argv = new List<string> { RepoPaths.CoordDll, "serve", "--client-port", "0", "--data-dir", Path.Combine(workDir, "data") };
        if (config is not null)
        {
            var file = Path.Combine(workDir, "coord.conf");
            await File.WriteAllTextAsync(file, config);
            argv.AddRange(["--config", file]);
        }
        argv.AddRange(args ?? ["--admin-port", "0"]);
        var process = ChildProcess.Start("dotnet", argv, workDir);
        try
        {
            // Lines come in order: the admin line (when enabled) is printed before the serving line.
            Uri? admin = null;
            var line = await process.WaitForLineAsync(l => AdminLine().IsMatch(l) || ServingLine().IsMatch(l), StartTimeout, "coord to start");
            if (AdminLine().Match(line) is { Success: true } a)
            {
                admin = new Uri(a.Groups["url"].Value + "/");
                line = await process.WaitForLineAsync(l => ServingLine().IsMatch(l), StartTimeout, "the serving line");
            }
            int port = int.Parse(ServingLine().Match(line).Groups["port"].Value, System.Globalization.CultureInfo.InvariantCulture);
            return new CoordProcess(process, workDir, port, admin);
        }
        catch
        {
            await process.DisposeAsync();
            TempDir.Delete(workDir);
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await Process.DisposeAsync();
        TempDir.Delete(WorkDir);
    }
}
