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
}
