using System.CommandLine;
using System.Runtime.InteropServices;
using Coord.Actors.Faults;
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
        var adminPort = new Option<int?>("--admin-port") { Description = "admin HTTP port (0 picks a free one); overrides coord.admin.port" };
        var command = new Command("serve", "Run a Coord server (standalone; 127.0.0.1:2181 and ./data by default)")
        {
            config, port, dataDir, adminPort,
        };
        command.SetAction((parse, ct) =>
            RunAsync(parse.GetValue(config), parse.GetValue(port), parse.GetValue(dataDir), parse.GetValue(adminPort), parse.InvocationConfiguration, ct));
        return command;
    }

    /// <param name="console">Where the serving line, the log and configuration messages go (the console unless a spec says otherwise).</param>
    /// <param name="ct">Stops the server as SIGTERM does (the invoker's cancellation; specs use it to stop an in-process serve).</param>
    private static async Task<int> RunAsync(FileInfo? configFile, int? port, string? dataDir, int? adminPort, InvocationConfiguration console,
        CancellationToken ct)
    {
        // Synchronized: the log's writer thread and this one share it.
        var output = TextWriter.Synchronized(console.Output);
        var overrides = new Dictionary<string, string?>();
        if (port is { } p) overrides["coord:client:port"] = p.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (dataDir is not null) overrides["coord:data-dir"] = dataDir;
        if (adminPort is { } a) overrides["coord:admin:port"] = a.ToString(System.Globalization.CultureInfo.InvariantCulture);
        LoadedConfig loaded;
        try
        {
            loaded = ConfigLoader.LoadDetailed(configFile?.FullName, overrides, Environment.GetEnvironmentVariables());
        }
        catch (CoordConfigException ex)
        {
            await console.Error.WriteLineAsync("coord: configuration error: " + ex.Message);
            return 2;
        }
        // What a zoo.cfg held that Coord does not take over: a migration starts, and says what it left behind.
        foreach (var warning in loaded.Warnings) await console.Error.WriteLineAsync("coord: configuration warning: " + warning);
        var settings = loaded.Settings;
        if (Failpoints.Enabled)
        {
            if (Failpoints.ArmError is { } armError)
            {
                await console.Error.WriteLineAsync("coord: configuration error: " + armError);
                return 2;
            }
            // Test-only: say so loudly, with what is armed, so a production log that shows this line explains itself.
            var armed = Failpoints.Registry.List().Where(p => p.Spec.Action != FailpointAction.Off).Select(p => $"{p.Name}={p.Spec}");
            await console.Error.WriteLineAsync($"coord: failpoints enabled ({Failpoints.EnvironmentVariable} is set; never in production); armed: "
                + (armed.Any() ? string.Join("; ", armed) : "none"));
        }
        // Disposed last (after the server and the factory), so every line logged while stopping is written.
        using var logSink = new ConsoleLineLoggerProvider(output, settings.Logging.Format);
        using var loggers = new LoggerFactory([logSink], new LoggerFilterOptions { MinLevel = settings.Logging.Level });
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        using var cancelled = ct.Register(() => stop.TrySetResult());

        await using var server = new CoordServer(settings, loggers, akka: loaded.Akka);
        try
        {
            var start = server.StartAsync();
            // The admin server listens before recovery (probes answer while a big data folder loads): say where at once.
            if (settings.Admin.Enabled && await Task.WhenAny(server.AdminListening, start) == server.AdminListening)
            {
                var admin = await server.AdminListening;
                output.WriteLine($"coord: admin on http://{admin}");
                output.Flush();
            }
            await start;
        }
        catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or UnauthorizedAccessException
                                       or Coord.Actors.Journal.RecoveryException)
        {
            await console.Error.WriteLineAsync($"coord: cannot start: {ex.Message}");
            return 1;
        }
        // A stable line on stdout that scripts and tests wait for (the port is real when 0 was asked).
        output.WriteLine($"coord: serving clients on {server.ClientEndPoint}");
        output.Flush();
        var ended = await Task.WhenAny(stop.Task, server.Failed);
        return ended == stop.Task ? 0 : 1;
    }
}
