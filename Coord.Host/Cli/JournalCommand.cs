using System.CommandLine;
using Coord.Actors.Journal;

namespace Coord.Host.Cli;

/// <summary>`coord journal dump DIR`: every txn of a journal on one line, then a summary; changes nothing (reads a copy, see <see cref="JournalSnapshot"/>).</summary>
public static class JournalCommand
{
    public static Command Create()
    {
        var journal = new Command("journal", "Inspect a server's txn journal");
        journal.Subcommands.Add(CreateDump());
        return journal;
    }

    private static Command CreateDump()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "the server's data dir (holding coord.db)" };
        var dump = new Command("dump", "Print every txn (zxid, epoch, txn, session, time) and a summary; exit 1 if the journal is damaged") { dir };
        dump.SetAction(parse => Dump(parse.GetRequiredValue(dir), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return dump;
    }

    /// <summary>Exit codes: 0 intact, 1 damaged (or not a journal), 2 no journal there.</summary>
    private static int Dump(DirectoryInfo dir, TextWriter output, TextWriter error)
    {
        long count = 0, damaged = 0, first = 0, last = 0;
        try
        {
            foreach (var entry in JournalSnapshot.Inspect(dir.FullName))
            {
                output.WriteLine(entry.ToString());
                if (count++ == 0) first = entry.Zxid;
                last = entry.Zxid;
                if (!entry.Intact) damaged++;
            }
        }
        catch (FileNotFoundException ex)
        {
            error.WriteLine($"coord: {ex.Message}");
            return 2;
        }
        catch (JournalCorruptException ex)
        {
            error.WriteLine($"coord: {ex.Message}");
            return 1;
        }
        output.WriteLine($"{count} txns, first 0x{first:x}, last 0x{last:x}, {damaged} checksum failures" +
                         (damaged > 0 ? " (journal is damaged)" : ""));
        return damaged > 0 ? 1 : 0;
    }
}
