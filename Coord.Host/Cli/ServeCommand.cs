using System.CommandLine;
using System.Runtime.InteropServices;
using Coord.Actors.Settings;
using Coord.Host.Config;
using Microsoft.Extensions.Logging;

namespace Coord.Host.Cli;

/// <summary>`coord serve`: run a standalone server until SIGTERM or Ctrl-C.</summary>
public static class ServeCommand
{
    public static Command Create()
    {
        var config = new Option<FileInfo?>("--config") { Description = "HOCON config file (or a ZooKeeper zoo.cfg)" };
        var port = new Option<int?>("--client-port") { Description = "client port (0 picks a free one); overrides coord.client.port" };
        var dataDir = new Option<string?>("--data-dir") { Description = "data folder; overrides coord.data-dir" };
        var command = new Command("serve", "Run a Coord server (standalone; 127.0.0.1:2181 and ./data by default)")
        {
            config, port, dataDir,
        };
        command.SetAction((parse, ct) => RunAsync(parse.GetValue(config), parse.GetValue(port), parse.GetValue(dataDir)));
        return command;
    }

    private static async Task<int> RunAsync(FileInfo? configFile, int? port, string? dataDir)
    {
        var overrides = new Dictionary<string, string?>();
        if (port is { } p) overrides["coord:client:port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (dataDir is not null) overrides["coord:data-dir"] = dataDir;
        CoordSettings settings;
        try
        {
            settings = ConfigLoader.Load(configFile?.FullName, overrides, Environment.GetEnvironmentVariables());
        }
        catch (CoordConfigException ex)
        {
            await Console.Error.WriteLineAsync("coord: configuration error: " + ex.Message);
            return 2;
        }

        // Disposed last (after the server and the factory), so every line logged while stopping is written.
        using var logSink = new ConsoleLineLoggerProvider(Console.Out);
        using var loggers = new LoggerFactory([logSink], new LoggerFilterOptions { MinLevel = settings.Logging.Level });
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });

        await using var server = new CoordServer(settings, loggers);
        try
        {
            await server.StartAsync();
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException
                                       or Coord.Actors.Journal.RecoveryException)
        {
            await Console.Error.WriteLineAsync($"coord: cannot start: {ex.Message}");
            return 1;
        }
        // A stable line on stdout that scripts and tests wait for (the port is real when 0 was asked).
        Console.Out.WriteLine($"coord: serving clients on {server.ClientEndPoint}");
        Console.Out.Flush();
        var ended = await Task.WhenAny(stop.Task, server.Failed);
        return ended == stop.Task ? 0 : 1;
    }
}
