using System.Globalization;
using System.Text;
using Coord.Chaos.History;

namespace Coord.Chaos.Checking;

public enum VerdictKind
{
    /// <summary>Every check passed.</summary>
    Ok,

    /// <summary>At least one check found a history ZooKeeper's guarantees cannot produce.</summary>
    Violation,

    /// <summary>No violation found, but some partition was not decided within the search budget.</summary>
    Unknown,
}

/// <param name="Check">Which guarantee: linearizability, sequential-suffix, lost-update, session-order, monotonic-reads, read-unwritten,
/// counter, lock-exclusion, lock-fencing, ephemeral-early, ephemeral-leak,
/// watch-once, watch-order, watch-before-data.</param>
/// <param name="Message">What is wrong, in a sentence.</param>
/// <param name="Ops">The ops that show it (for linearizability: a minimal set whose outcomes no order explains).</param>
/// <param name="Events">The watch events involved.</param>
public sealed record Violation(string Check, string Message, IReadOnlyList<HistoryOp> Ops, IReadOnlyList<WatchEvent> Events)
{
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"[{Check}] {Message}");
        foreach (var op in Ops.OrderBy(o => o.Invoke)) sb.Append("\n    ").Append(op);
        foreach (var e in Events) sb.Append("\n    ").Append(e);
        return sb.ToString();
    }
}

/// <summary>The checker's answer, with what it looked at and how long it took.</summary>
public sealed record Verdict(
    VerdictKind Kind,
    IReadOnlyList<Violation> Violations,
    IReadOnlyList<string> Undecided,
    int OpsChecked,
    int EventsChecked,
    int Partitions,
    long SearchSteps,
    TimeSpan Elapsed)
{
    public bool IsOk => Kind == VerdictKind.Ok;

    public string Summary => Kind switch
    {
        VerdictKind.Ok => "ok",
        VerdictKind.Violation => $"violation ({Violations.Count})",
        _ => "unknown (budget exceeded)",
    } + string.Create(CultureInfo.InvariantCulture,
        $": {OpsChecked} ops, {EventsChecked} watch events, {Partitions} partitions, {SearchSteps} search steps, {Elapsed.TotalMilliseconds:0} ms");

    public override string ToString()
    {
        var sb = new StringBuilder(Summary);
        foreach (var v in Violations) sb.Append('\n').Append(v);
        foreach (var u in Undecided) sb.Append("\n[undecided] ").Append(u);
        return sb.ToString();
    }
}

/// <param name="SearchStepsMax">Search steps per partition before it is left undecided.</param>
/// <param name="Budget">Wall time for the whole check (the linearizability search stops at it).</param>
/// <param name="Explain">Shrink a non-linearizable partition to a minimal set of ops.</param>
/// <param name="ExplainOpsMax">Partitions with more ops than this are reported with the search's deepest point instead.</param>
public sealed record CheckOptions(
    long SearchStepsMax = 5_000_000,
    TimeSpan? Budget = null,
    bool Explain = true,
    int ExplainOpsMax = 400)
{
    /// <summary>Time for shrinking one violation; when it runs out the explanation is what was shrunk so far.</summary>
    public TimeSpan ExplainTime { get; init; } = TimeSpan.FromSeconds(10);

    public TimeSpan BudgetOrDefault => Budget ?? TimeSpan.FromMinutes(2);
}
