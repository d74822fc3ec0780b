using System.CommandLine;
using Coord.Actors.Journal;
using Coord.Actors.Tree;

namespace Coord.Host.Cli;

/// <summary>
/// `coord verify DIR`: checks every snapshot and journal checksum, then replays the newest valid snapshot and
/// the journal after it in memory, as recovery would, and prints the digest it reaches and a verdict. Opens
/// nothing for writing and creates nothing in DIR: the journal through <see cref="JournalSnapshot"/> (a copy),
/// snapshots as bytes, and <see cref="SnapshotStore"/> only over a folder that already exists (its constructor creates one).
/// </summary>
public static class VerifyCommand
{
    public static Command Create()
    {
        var dir = new Argument<DirectoryInfo>("DIR") { Description = "the server's data dir (coord.db and snapshots/)" };
        var verify = new Command("verify",
            "Check every checksum and replay snapshot + journal to a digest without changing anything; exit 0 OK, 1 damaged, 2 no Coord data")
        {
            dir,
        };
        verify.SetAction(parse => Verify(parse.GetRequiredValue(dir), parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error));
        return verify;
    }

    /// <summary>Exit codes: 0 OK, 1 damaged, 2 no Coord data in DIR.</summary>
    private static int Verify(DirectoryInfo dir, TextWriter output, TextWriter error)
    {
        string journalPath = SqliteJournal.PathIn(dir.FullName);
        string snapshotsDir = Path.Combine(dir.FullName, SnapshotCommand.SnapshotsFolder);
        bool hasJournal = File.Exists(journalPath);
        var snapshotFiles = Directory.Exists(snapshotsDir) ? SnapshotCommand.Find(snapshotsDir) : [];
        if (!hasJournal && snapshotFiles.Count == 0)
        {
            error.WriteLine($"coord: no Coord data at {dir.FullName} (neither {SqliteJournal.FileName} nor {SnapshotCommand.SnapshotsFolder}/snapshot-<zxid>.snap)");
            return 2;
        }
        var damage = new List<string>();

        // Snapshots, newest first: the first intact one is where replay starts; a corrupt one newer than it forces a fallback.
        SnapshotCheck? start = null;
        var skipped = new List<SnapshotCheck>();
        var olderCorrupt = new List<SnapshotCheck>();
        int valid = 0;
        foreach (var file in snapshotFiles.Reverse())
        {
            var check = SnapshotCheck.Run(file);
            output.WriteLine("snapshot " + check);
            if (check.Intact)
            {
                valid++;
                start ??= check;
            }
            else (start is null ? skipped : olderCorrupt).Add(check);
        }
        int corrupt = skipped.Count + olderCorrupt.Count;
        output.WriteLine($"snapshots: {valid} valid, {corrupt} corrupt" + (start is null ? "" : $", replay starts from {start.Name}"));
        if (skipped.Count > 0)
            damage.Add($"newest snapshot{(skipped.Count > 1 ? "s" : "")} {string.Join(", ", skipped.Select(c => c.Name))} corrupt " +
                       $"({skipped[0].Problem}), so recovery falls back to {(start is null ? "an empty tree and the whole journal" : start.Name)}; " +
                       $"move {(skipped.Count > 1 ? "them" : "it")} out of {SnapshotCommand.SnapshotsFolder}/");
        if (olderCorrupt.Count > 0)
            damage.Add($"older snapshot{(olderCorrupt.Count > 1 ? "s" : "")} {string.Join(", ", olderCorrupt.Select(c => c.Name))} corrupt " +
                       $"({olderCorrupt[0].Problem}): no fallback behind {start!.Name}; move {(olderCorrupt.Count > 1 ? "them" : "it")} out of {SnapshotCommand.SnapshotsFolder}/");
        var tree = start?.Tree ?? new DataTree();
        long snapshotZxid = tree.LastAppliedZxid;

        var journal = ReadJournal(journalPath, hasJournal, output, damage);
        var replay = Replay(tree, journal, damage);
        output.WriteLine($"replay: snapshot 0x{snapshotZxid:x} + {replay.Applied} txns -> last zxid 0x{tree.LastAppliedZxid:x}, " +
                         $"{tree.NodeCount} nodes, {tree.Sessions.Count} sessions, {tree.EphemeralCount} ephemerals, digest {tree.Digest():x16}" +
                         (replay.Stopped ? " (stopped early)" : ""));
        if (journal.Count > 0 && journal[^1].Zxid < snapshotZxid)
            output.WriteLine($"note: the journal ends at 0x{journal[^1].Zxid:x}, before the snapshot's 0x{snapshotZxid:x}");

        if (damage.Count == 0)
        {
            output.WriteLine("OK");
            return 0;
        }
        output.WriteLine("DAMAGED: " + string.Join("; ", damage));
        return 1;
    }

    /// <summary>Every row of the journal, checked; prints the summary and adds what is damaged to <paramref name="damage"/>.</summary>
    private static List<JournalEntry> ReadJournal(string path, bool exists, TextWriter output, List<string> damage)
    {
        var entries = new List<JournalEntry>();
        if (!exists)
        {
            output.WriteLine($"journal: none at {path}");
            damage.Add($"no journal at {path}: txns after the newest snapshot are unknown; restore {SqliteJournal.FileName} or resync this server");
            return entries;
        }
        try
        {
            entries.AddRange(JournalSnapshot.Inspect(Path.GetDirectoryName(path)!));
        }
        catch (JournalCorruptException ex)
        {
            output.WriteLine($"journal: unreadable: {ex.Message}");
            damage.Add($"the journal is unreadable ({ex.Message}); restore the data dir from a replica or a backup");
            return entries;
        }
        int lastIntact = entries.FindLastIndex(e => e.Intact);
        var damaged = entries.Where(e => !e.Intact).ToList();
        output.WriteLine(entries.Count == 0
            ? "journal: 0 txns"
            : $"journal: {entries.Count} txns, first 0x{entries[0].Zxid:x}, last 0x{entries[^1].Zxid:x}, {damaged.Count} damaged");
        foreach (var e in damaged) output.WriteLine($"journal: damaged {e}");

        var torn = entries.Skip(lastIntact + 1).ToList();
        var inner = damaged.Count - torn.Count;
        if (torn.Count > 0)
            damage.Add($"torn journal tail: {torn.Count} txns from 0x{torn[0].Zxid:x} fail their checksum ({torn[0].Problem}); " +
                       $"they were never acknowledged and the server drops them when it starts (replay stops at 0x{(lastIntact >= 0 ? entries[lastIntact].Zxid : 0):x})");
        if (inner > 0)
        {
            var first = damaged[0];
            damage.Add($"journal txn 0x{first.Zxid:x} is damaged ({first.Problem}) and {inner - 1} more before intact txns: not a torn tail, " +
                       "the server will not start on it; restore the data dir from a replica (or move it away and let this server resync) or from a backup");
        }
        return entries;
    }

    /// <summary>
    /// Replays the intact txns after the tree's zxid through recovery's own loop (<see cref="Recovery.Replay"/>),
    /// so verify reaches exactly the state the server would. Stops at the first damaged row (reported with the
    /// journal), gap or txn that does not apply; the last two are added to <paramref name="damage"/> here.
    /// </summary>
    private static (int Applied, bool Stopped) Replay(DataTree tree, List<JournalEntry> journal, List<string> damage)
    {
        long snapshotZxid = tree.LastAppliedZxid;
        var after = journal.Where(e => e.Zxid > snapshotZxid).ToList();
        var outcome = Recovery.Replay(tree, after.TakeWhile(e => e.Txn is not null).Select(e => e.Txn!));
        switch (outcome.Stop)
        {
            case ReplayGap gap:
                damage.Add($"gap: after 0x{gap.PreviousZxid:x} the journal's next txn is 0x{gap.NextZxid:x}; the txns between are missing " +
                           "(purged while the snapshot that covered them is missing or corrupt); restore that snapshot, or wipe this server's data and resync");
                break;
            case ReplayNotApplied bad:
                damage.Add($"journal txn 0x{bad.Txn.Header.Zxid:x} ({bad.Txn.Body.Type}) does not apply to the state at 0x{bad.PreviousZxid:x}: {bad.Error.Message}; " +
                           "the snapshot and journal disagree: move the newest snapshot aside to replay from an older one, or wipe this server's data and resync");
                break;
        }
        bool stoppedAtDamage = after.Any(e => e.Txn is null);
        return (outcome.Applied, outcome.Stop is not null || stoppedAtDamage);
    }
}
