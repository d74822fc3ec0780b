using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

public static partial class Recovery
{
    [LoggerMessage(EventId = 4100, Level = LogLevel.Information,
        Message = "Recovered: snapshot 0x{SnapshotZxid:x} + {Replayed} journal txns → zxid 0x{LastZxid:x}, {Nodes} nodes, {Sessions} sessions")]
    private static partial void LogRecovered(ILogger log, long snapshotZxid, int replayed, long lastZxid, int nodes, int sessions);

    [LoggerMessage(EventId = 4101, Level = LogLevel.Warning,
        Message = "The journal ends at 0x{JournalZxid:x}, before the snapshot at 0x{SnapshotZxid:x}: starting from the snapshot")]
    private static partial void LogJournalBehind(ILogger log, long journalZxid, long snapshotZxid);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Warning,
        Message = "Truncated after 0x{Zxid:x}: deleted {Snapshots} newer snapshots and the journal's tail; rebuilt from snapshot 0x{SnapshotZxid:x} + {Replayed} txns → zxid 0x{LastZxid:x}")]
    private static partial void LogTruncated(ILogger log, long zxid, int snapshots, long snapshotZxid, int replayed, long lastZxid);

    [LoggerMessage(EventId = 4103, Level = LogLevel.Information,
        Message = "Installed the leader's snapshot {Snapshot}: {Nodes} nodes, {Sessions} sessions; the journal continues after it")]
    private static partial void LogInstalled(ILogger log, string snapshot, int nodes, int sessions);

    [LoggerMessage(EventId = 4104, Level = LogLevel.Warning,
        Message = "Finished the install of {Snapshot} that a restart interrupted: its journal reset had committed")]
    private static partial void LogInstallFinished(ILogger log, string snapshot);

    [LoggerMessage(EventId = 4105, Level = LogLevel.Warning,
        Message = "Discarded the staged install {Snapshot}: the journal was never reset to it (it ends at 0x{JournalZxid:x}), so the state before the install stands")]
    private static partial void LogInstallDiscarded(ILogger log, string snapshot, long journalZxid);

}
