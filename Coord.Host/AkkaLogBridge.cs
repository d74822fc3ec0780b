using System.Collections.Concurrent;
using Akka.Actor;
using Akka.Dispatch;
using Akka.Event;
using Microsoft.Extensions.Logging;

namespace Coord.Host;

/// <summary>
/// Akka's own log events (remoting, dead letters, supervision) written through the server's loggers, in the same
/// one-line format as everything else, instead of Akka's stdout logger. Akka creates loggers by type name with
/// no arguments, so each ActorSystem finds its logger factory by the key in <c>coord.akka-log-key</c>.
/// </summary>
public sealed class AkkaLogBridge : ReceiveActor, IRequiresMessageQueue<ILoggerMessageQueueSemantics>
{
    private static readonly ConcurrentDictionary<string, ILoggerFactory> Factories = new();

    public const string KeyPath = "coord.akka-log-key";

    public static string Register(ILoggerFactory loggers)
    {
        string key = Guid.NewGuid().ToString("N");
        Factories[key] = loggers;
        return key;
    }

    public static void Unregister(string key) => Factories.TryRemove(key, out _);

    public AkkaLogBridge()
    {
        var key = Context.System.Settings.Config.GetString(KeyPath, "");
        var log = Factories.TryGetValue(key, out var f) ? f.CreateLogger("Akka") : null;
        Receive<InitializeLogger>(_ => Sender.Tell(new LoggerInitialized()));
        Receive<LogEvent>(e =>
        {
            if (log is null) return;
            var level = e.LogLevel() switch
            {
                Akka.Event.LogLevel.ErrorLevel => Microsoft.Extensions.Logging.LogLevel.Error,
                Akka.Event.LogLevel.WarningLevel => Microsoft.Extensions.Logging.LogLevel.Warning,
                Akka.Event.LogLevel.InfoLevel => Microsoft.Extensions.Logging.LogLevel.Information,
                _ => Microsoft.Extensions.Logging.LogLevel.Debug,
            };
            if (!log.IsEnabled(level)) return;
            var cause = e is Error err ? err.Cause : null;
#pragma warning disable CA2254 // Akka's message is already formatted text, not a template
            log.Log(level, new EventId(4000, "Akka"), cause, "{Source}: {Message}", e.LogSource, e.Message?.ToString());
#pragma warning restore CA2254
        });
    }
}
