using Coord.Protocol;
using Microsoft.Extensions.Logging;

namespace Coord.Client.Sessions;

/// <summary>The session's log lines; event ids are stable.</summary>
internal static partial class Log
{
    [LoggerMessage(EventId = 100, Level = LogLevel.Information, Message = "Connected to {Endpoint}: session 0x{SessionId:x}, timeout {TimeoutMs} ms, resumed {Resumed}")]
    public static partial void Connected(ILogger logger, string endpoint, long sessionId, int timeoutMs, bool resumed);

    [LoggerMessage(EventId = 101, Level = LogLevel.Debug, Message = "Connect to {Endpoint} failed: {Reason}")]
    public static partial void ConnectFailed(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 102, Level = LogLevel.Warning, Message = "Connection to {Endpoint} lost: {Reason}")]
    public static partial void ConnectionLost(ILogger logger, string endpoint, string reason);

    [LoggerMessage(EventId = 103, Level = LogLevel.Warning, Message = "Session 0x{SessionId:x} expired")]
    public static partial void SessionExpired(ILogger logger, long sessionId);

    [LoggerMessage(EventId = 104, Level = LogLevel.Warning, Message = "setWatches failed: {Code}")]
    public static partial void SetWatchesFailed(ILogger logger, ErrorCode code);

    [LoggerMessage(EventId = 105, Level = LogLevel.Error, Message = "A watch or state callback threw")]
    public static partial void CallbackFailed(ILogger logger, Exception error);

    [LoggerMessage(EventId = 106, Level = LogLevel.Error, Message = "The session loop failed; the client is closed")]
    public static partial void LoopFailed(ILogger logger, Exception error);
}
