using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Journal;

public sealed class InMemoryJournalConformance : JournalConformance
{
    protected override IJournal OpenJournal() => new InMemoryJournal();
}

public sealed class SqliteJournalConformance : DurableJournalConformance, IDisposable
{
    private readonly JournalStore _store = new();

    protected override IJournal OpenJournal() => SqliteJournal.Open(_store.DataDir);
    protected override void BreakStorageAt(IJournal journal, long zxid) => _store.FailInsertOf(zxid);
    public void Dispose() => _store.Dispose();
}

/// <summary>The fault wrapper with nothing armed must be indistinguishable from the journal it wraps.</summary>
public sealed class FaultInjectingJournalConformance : DurableJournalConformance, IDisposable
{
    private readonly JournalStore _store = new();

    protected override IJournal OpenJournal() => FaultInjectingJournal.OverSqlite(_store.DataDir);
    protected override void BreakStorageAt(IJournal journal, long zxid) => _store.FailInsertOf(zxid);
    public void Dispose() => _store.Dispose();
}
