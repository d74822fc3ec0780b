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
}
