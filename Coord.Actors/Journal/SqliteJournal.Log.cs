using Microsoft.Extensions.Logging;

namespace Coord.Actors.Journal;

/// <summary>Journal log events: ids 1400-1499.</summary>
public sealed partial class SqliteJournal
{
    [LoggerMessage(EventId = 1400, Level = LogLevel.Information,
        Message = "Journal {Path} opened: txns 0x{FirstZxid:x}..0x{LastZxid:x}, acceptedEpoch {AcceptedEpoch}, currentEpoch {CurrentEpoch}")]
    private static partial void LogOpened(ILogger log, string path, long firstZxid, long lastZxid, long acceptedEpoch, long currentEpoch);

    [LoggerMessage(EventId = 1401, Level = LogLevel.Warning,
        Message = "Journal {Path}: dropped a torn tail of {Count} txns ({Zxids}; first problem: {Problem}); the journal now ends at 0x{LastZxid:x}")]
    private static partial void LogTornTailDropped(ILogger log, string path, int count, string zxids, string problem, long lastZxid);

    [LoggerMessage(EventId = 1402, Level = LogLevel.Critical, Message = "Journal {Path}: {Request} failed; the journal accepts no more writes")]
    private static partial void LogWriteFailed(ILogger log, Exception error, string path, string request);

    [LoggerMessage(EventId = 1403, Level = LogLevel.Warning, Message = "Journal {Path}: truncated {Count} txns after 0x{Zxid:x}")]
    private static partial void LogTruncated(ILogger log, string path, int count, long zxid);

    [LoggerMessage(EventId = 1405, Level = LogLevel.Warning,
        Message = "Journal {Path}: reset to 0x{Zxid:x} (a snapshot is being installed): dropped {Count} txns; appends continue above it")]
    private static partial void LogReset(ILogger log, string path, int count, long zxid);

    [LoggerMessage(EventId = 1404, Level = LogLevel.Information,
        Message = "Journal {Path} upgraded from format {From} to {To}: acceptedEpoch and currentEpoch set to {Epoch}, the epoch of its last txn 0x{LastZxid:x}")]
    private static partial void LogUpgraded(ILogger log, string path, long from, long to, long epoch, long lastZxid);
}
