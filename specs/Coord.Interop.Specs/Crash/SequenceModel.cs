namespace Coord.Interop.Specs.Crash;

/// <summary>
/// One writer's sequential children under <see cref="Parent"/>: the numbers handed out and acknowledged, the ones
/// acknowledged as deleted, and the at most one create or delete in flight (the lane sends one at a time). A
/// sequence number must never be handed out twice, so after a crash the parent's cversion may not go back below
/// what an acknowledged create proved (number + 1) or what was seen before, and every new number is higher than
/// any acknowledged one. Used by one lane and the reconcile between cycles, never at once.
/// </summary>
internal sealed class SequenceModel(int writer)
{
    private readonly SortedSet<long> present = [];
    private readonly HashSet<long> deleted = [];

    public string Parent => $"/crash/q{writer}";
    public string Prefix => $"{Parent}/n-";
    public long HighestAcked { get; private set; } = -1;

    /// <summary>The lowest cversion the parent may show: every acknowledged create and delete bumped it.</summary>
    public int CversionFloor { get; private set; }

    /// <summary>A create or delete whose answer was lost with the connection (null: none).</summary>
    public (bool Create, long Number)? InFlight { get; private set; }

    public long? OldestPresent => present.Count > 0 ? present.Min : null;

    public void Sending(bool create, long number) => InFlight = (create, number);

    /// <summary>The server answered the create with <paramref name="number"/>; returns a violation or null.</summary>
    public string? Created(long number)
    {
        InFlight = null;
        string? problem = number <= HighestAcked
            ? $"{Parent}: sequential create answered {number}, not above {HighestAcked} already handed out"
            : null;
        HighestAcked = Math.Max(HighestAcked, number);
        present.Add(number);
        CversionFloor = Math.Max(CversionFloor, (int)number + 1);
        return problem;
    }

    public void Deleted(long number)
    {
        InFlight = null;
        present.Remove(number);
        deleted.Add(number);
        CversionFloor++;
    }

    public static long NumberOf(string name) => long.Parse(name[(name.LastIndexOf('-') + 1)..], System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Checks the restarted server's children and cversion of <see cref="Parent"/> and adopts them.</summary>
    public List<string> Reconcile(IReadOnlyCollection<string> children, int cversion)
    {
        var problems = new List<string>();
        var now = children.Select(NumberOf).ToHashSet();
        if (cversion < CversionFloor)
        {
            problems.Add($"{Parent}: cversion went back to {cversion}, below {CversionFloor} proved by acknowledged writes");
        }

        foreach (var n in present.Where(n => !now.Contains(n) && InFlight != (false, n)))
        {
            problems.Add($"{Parent}: acknowledged n-{n:D10} is gone");
        }

        foreach (var n in now.Where(n => !present.Contains(n)))
        {
            bool inFlightCreate = InFlight is (true, _) && n > HighestAcked;
            if (deleted.Contains(n) || !inFlightCreate)
            {
                problems.Add($"{Parent}: n-{n:D10} exists but was {(deleted.Contains(n) ? "deleted (acknowledged)" : "never acknowledged nor in flight")}");
            }
        }

        present.Clear();
        present.UnionWith(now);
        HighestAcked = Math.Max(HighestAcked, now.Count > 0 ? now.Max() : -1);
        CversionFloor = Math.Max(CversionFloor, cversion);
        InFlight = null;
        return problems;
    }
}
