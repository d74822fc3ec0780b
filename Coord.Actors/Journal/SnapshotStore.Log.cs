using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

public sealed partial class SnapshotStore
{
    [LoggerMessage(EventId = 4000, Level = LogLevel.Information, Message = "Snapshot written: {Path}, {Nodes} nodes, {Sessions} sessions")]
    private static partial void LogWritten(ILogger log, string path, int nodes, int sessions);

    [LoggerMessage(EventId = 4001, Level = LogLevel.Warning, Message = "Skipped snapshot {Path}: {Reason}; falling back to an older one")]
    private static partial void LogSkipped(ILogger log, string path, string reason);

    [LoggerMessage(EventId = 4002, Level = LogLevel.Information, Message = "Snapshot loaded: {Path}, {Nodes} nodes, {Sessions} sessions")]
    private static partial void LogLoaded(ILogger log, string path, int nodes, int sessions);

    [LoggerMessage(EventId = 4003, Level = LogLevel.Information, Message = "Snapshot purged: {Path}")]
    private static partial void LogPurged(ILogger log, string path);

    [LoggerMessage(EventId = 4004, Level = LogLevel.Warning, Message = "Snapshot deleted: {Path} is newer than the truncation point 0x{Zxid:x}")]
    private static partial void LogDeletedNewer(ILogger log, string path, long zxid);

    [LoggerMessage(EventId = 4005, Level = LogLevel.Information, Message = "Snapshot from the leader staged: {Path} (zxid 0x{Zxid:x})")]
    private static partial void LogStaged(ILogger log, string path, long zxid);

    [LoggerMessage(EventId = 4006, Level = LogLevel.Information, Message = "Snapshot deleted: {Path} is replaced by the installed snapshot at 0x{Zxid:x}")]
    private static partial void LogReplacedByInstall(ILogger log, string path, long zxid);

    [LoggerMessage(EventId = 4007, Level = LogLevel.Warning, Message = "Staged snapshot discarded: {Path}; its install never committed")]
    private static partial void LogStagedDiscarded(ILogger log, string path);
}
