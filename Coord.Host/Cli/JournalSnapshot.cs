using Coord.Actors.Journal;

namespace Coord.Host.Cli;

/// <summary>
/// Reads a journal without leaving a trace in its data dir. <see cref="SqliteJournal.Inspect"/> opens the
/// database read-only, but SQLite still creates <c>coord.db-wal</c> and <c>coord.db-shm</c> beside a WAL-mode
/// database it opens and a read-only connection cannot remove them; it also needs a writable folder for them.
/// So the tool copies <c>coord.db</c> and its <c>-wal</c> (which holds txns not yet checkpointed after a crash)
/// into a temp folder, inspects the copy and deletes it. Run it on a stopped server: a copy taken while the
/// server writes may end at any committed batch.
/// </summary>
internal static class JournalSnapshot
{
    private const string WalSuffix = "-wal";

    /// <summary>Every row, checked, oldest first; <see cref="JournalCorruptException"/> (messages naming the real file) when it is not a journal.</summary>
    public static List<JournalEntry> Inspect(string dataDir)
    {
        string source = SqliteJournal.PathIn(dataDir);
        if (!File.Exists(source)) throw new FileNotFoundException($"no journal at {source}", source);
        var temp = Directory.CreateTempSubdirectory("coord-inspect-");
        try
        {
            string copy = SqliteJournal.PathIn(temp.FullName);
            File.Copy(source, copy);
            if (File.Exists(source + WalSuffix)) File.Copy(source + WalSuffix, copy + WalSuffix);
            try
            {
                return [.. SqliteJournal.Inspect(temp.FullName)];
            }
            catch (JournalCorruptException ex)
            {
                throw new JournalCorruptException(ex.Message.Replace(copy, source, StringComparison.Ordinal), source, ex.Zxid, ex);
            }
        }
        finally
        {
            try { temp.Delete(recursive: true); } catch (IOException) { } // best effort: it is a temp folder
        }
    }
}
