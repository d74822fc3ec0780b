using Coord.Actors.Journal;
using Coord.Actors.Txns;
using Coord.Protocol;
using Coord.Host.Cli;
using Microsoft.Data.Sqlite;

namespace Coord.Host.Specs.Cli;

public sealed class JournalDumpSpecs : IDisposable
{
    private const long Epoch1 = 1L << 32;
    private readonly string _dir = Directory.CreateTempSubdirectory("coord-dump-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { } // best effort
    }

    private async Task WriteJournalAsync()
    {
        await using var j = SqliteJournal.Open(_dir);
        await j.AppendAsync(
        [
            new SequencedTxn(new TxnHeader(0x42, 1, Epoch1 + 1, 0), new CreateSessionTxn(0x42, 30_000, new byte[16])),
            new SequencedTxn(new TxnHeader(0x42, 2, Epoch1 + 2, 1_700_000_000_123), new CreateTxn("/a", [1, 2], Acl.OpenAclUnsafe, 0, 1)),
        ]);
        await j.AppendAsync([new SequencedTxn(new TxnHeader(0x42, 3, Epoch1 + 3, 1_700_000_000_456), new DeleteTxn("/a"))]);
    }

    private async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int exit = await CoordCli.RunAsync(args, output, error);
        return (exit, output.ToString(), error.ToString());
    }

    private void Damage(string sql)
    {
        using var conn = new SqliteConnection($"Data Source={SqliteJournal.PathIn(_dir)};Pooling=False");
        conn.Open();
        using var cmd = conn.CreateCommand();
        cmd.CommandText = sql;
        cmd.ExecuteNonQuery();
    }

    [Fact]
    public async Task Prints_one_line_per_txn_and_a_summary()
    {
        await WriteJournalAsync();
        var (exit, output, error) = await RunAsync("journal", "dump", _dir);
        Assert.Equal(0, exit);
        Assert.Equal("", error);
        var lines = output.TrimEnd().Split('\n').Select(l => l.TrimEnd('\r')).ToArray();
        Assert.Equal(4, lines.Length);
        Assert.Equal("0x100000001 epoch=1 CreateSession 0x42 timeout=30000ms session=0x42 cxid=1 time=1970-01-01T00:00:00.000Z", lines[0]);
        Assert.Equal("0x100000002 epoch=1 Create /a data=2B acl=[" + string.Join(",", Acl.OpenAclUnsafe) + "] owner=0x0 pcv=1 " +
                     "session=0x42 cxid=2 time=2023-11-14T22:13:20.123Z", lines[1]);
        Assert.StartsWith("0x100000003 epoch=1 Delete /a session=0x42", lines[2], StringComparison.Ordinal);
        Assert.Equal("3 txns, first 0x100000001, last 0x100000003, 0 checksum failures", lines[3]);
    }

    [Fact]
    public async Task A_damaged_journal_is_shown_as_it_is_and_exits_1_without_being_repaired()
    {
        await WriteJournalAsync();
        Damage("UPDATE txns SET crc = 7 WHERE zxid = 4294967298");
        var (exit, output, _) = await RunAsync("journal", "dump", _dir);
        Assert.Equal(1, exit);
        Assert.Contains("0x100000002 epoch=1 type=1 CORRUPT: checksum mismatch: stored 0x00000007", output, StringComparison.Ordinal);
        Assert.Contains("3 txns, first 0x100000001, last 0x100000003, 1 checksum failures (journal is damaged)", output, StringComparison.Ordinal);
        // Dumping is read-only: the damaged row is still there for the next tool.
        var (again, _, _) = await RunAsync("journal", "dump", _dir);
        Assert.Equal(1, again);
    }

    [Fact]
    public async Task Dumping_leaves_no_file_behind_in_the_data_dir()
    {
        await WriteJournalAsync();
        var before = DataDir.Fingerprint(_dir);
        var (exit, _, _) = await RunAsync("journal", "dump", _dir);
        Assert.Equal(0, exit);
        Assert.Equal(before, DataDir.Fingerprint(_dir)); // no coord.db-wal / coord.db-shm created by the read-only open
    }

    [Fact]
    public async Task A_dir_without_a_journal_is_an_error_not_an_empty_dump()
    {
        var (exit, output, error) = await RunAsync("journal", "dump", Path.Combine(_dir, "nothing-here"));
        Assert.Equal(2, exit);
        Assert.Equal("", output);
        Assert.Contains("no journal at", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_file_that_is_not_a_journal_exits_1_with_the_reason()
    {
        await File.WriteAllTextAsync(SqliteJournal.PathIn(_dir), "not a database, just text that is long enough to have a header");
        var (exit, _, error) = await RunAsync("journal", "dump", _dir);
        Assert.Equal(1, exit);
        Assert.Contains("not a readable Coord journal", error, StringComparison.Ordinal);
    }
}
