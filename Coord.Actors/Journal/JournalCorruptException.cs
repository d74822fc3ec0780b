namespace Coord.Actors.Journal;

/// <summary>
/// The journal on disk cannot be trusted and was not changed: a damaged txn followed by intact ones, an
/// unknown format, or a file that is not a journal at all. The message says the file, what was found and
/// what to do; the server must not start on it.
/// </summary>
public sealed class JournalCorruptException(string message, string path, long? zxid = null, Exception? inner = null)
    : IOException(message, inner)
{
    /// <summary>The journal file.</summary>
    public string Path { get; } = path;

    /// <summary>The first damaged txn, when the damage is in a txn.</summary>
    public long? Zxid { get; } = zxid;
}
