namespace Coord.Chaos.Checking;

/// <summary>The value of one state key at one point of a linearization. Immutable; equality is structural.</summary>
internal abstract class KeyValue : IEquatable<KeyValue>
{
    public abstract bool Equals(KeyValue? other);

    public override bool Equals(object? obj) => obj is KeyValue v && Equals(v);

    public abstract override int GetHashCode();
}

internal sealed class NodeValue(bool exists, string data, int version, long owner) : KeyValue
{
    public static readonly NodeValue Absent = new(false, "", 0, 0);

    public bool Exists { get; } = exists;
    public string Data { get; } = data;
    public int Version { get; } = version;
    public long Owner { get; } = owner;

    public override bool Equals(KeyValue? other) =>
        other is NodeValue n && n.Exists == Exists && (!Exists || (n.Version == Version && n.Owner == Owner && n.Data == Data));

    public override int GetHashCode() => Exists ? HashCode.Combine(Data, Version, Owner) : 17;

    public override string ToString() => Exists ? $"'{Data}' v={Version}" + (Owner != 0 ? $" owner={Owner}" : "") : "absent";
}

internal sealed class KidsValue(int creates, string[] names, long[]? owners = null) : KeyValue
{
    public static readonly KidsValue Empty = new(0, []);

    /// <summary>Children created so far under the node: the next sequential suffix.</summary>
    public int Creates { get; } = creates;

    /// <summary>Child names, ordinal order.</summary>
    public string[] Names { get; } = names;

    /// <summary>The session owning each child (parallel to <see cref="Names"/>; 0 = persistent), so a session's close can
    /// remove ephemeral children whose own node is not tracked (an ephemeral-sequential create of unknown outcome).</summary>
    public long[] Owners { get; } = owners ?? new long[names.Length];

    private readonly int hash = HashOf(creates, names, owners);

    public KidsValue With(int creates, string? add, string? remove, long addOwner = 0)
    {
        var list = new List<string>(Names.Length + 1);
        var own = new List<long>(Names.Length + 1);
        for (var i = 0; i < Names.Length; i++)
        {
            if (Names[i] == remove) continue;
            list.Add(Names[i]);
            own.Add(Owners[i]);
        }

        if (add is not null)
        {
            var at = list.BinarySearch(add, StringComparer.Ordinal);
            if (at < 0)
            {
                list.Insert(~at, add);
                own.Insert(~at, addOwner);
            }
        }

        return new KidsValue(creates, [.. list], [.. own]);
    }

    /// <summary>Without the children <paramref name="owner"/>'s session owned, or null if it owned none.</summary>
    public KidsValue? WithoutOwner(long owner)
    {
        if (Array.IndexOf(Owners, owner) < 0) return null;
        var keep = Enumerable.Range(0, Names.Length).Where(i => Owners[i] != owner).ToArray();
        return new KidsValue(Creates, [.. keep.Select(i => Names[i])], [.. keep.Select(i => Owners[i])]);
    }

    public bool Contains(string name) => Array.BinarySearch(Names, name, StringComparer.Ordinal) >= 0;

    public bool SameNames(IEnumerable<string> names)
    {
        var sorted = names.Order(StringComparer.Ordinal).ToArray();
        return sorted.AsSpan().SequenceEqual(Names);
    }

    public override bool Equals(KeyValue? other) =>
        other is KidsValue k && k.hash == hash && k.Creates == Creates && k.Names.AsSpan().SequenceEqual(Names) && k.Owners.AsSpan().SequenceEqual(Owners);

    public override int GetHashCode() => hash;

    public override string ToString() => $"creates={Creates} [{string.Join(",", Names)}]";

    private static int HashOf(int creates, string[] names, long[]? owners)
    {
        var h = new HashCode();
        h.Add(creates);
        foreach (var n in names) h.Add(n);
        foreach (var o in owners ?? []) h.Add(o);
        return h.ToHashCode();
    }
}

/// <summary>
/// The values a key has had along the linearization so far, newest first: (step at which it took this value, value).
/// Reads may be stale, so they may observe any value not older than what their session has already seen.
/// Shared tails keep copies cheap.
/// </summary>
internal sealed class KeyHistory(int step, KeyValue value, KeyHistory? older)
{
    public int Step { get; } = step;
    public KeyValue Value { get; } = value;
    public KeyHistory? Older { get; } = older;
    public int Hash { get; } = HashCode.Combine(step, value, older?.Hash ?? 0);

    /// <summary>The value at <paramref name="step"/>.</summary>
    public KeyValue At(int step)
    {
        var h = this;
        while (h.Step > step && h.Older is not null) h = h.Older;
        return h.Value;
    }

    public static bool Same(KeyHistory? a, KeyHistory? b)
    {
        while (true)
        {
            if (ReferenceEquals(a, b)) return true;
            if (a is null || b is null || a.Hash != b.Hash || a.Step != b.Step || !a.Value.Equals(b.Value)) return false;
            a = a.Older;
            b = b.Older;
        }
    }
}

/// <summary>
/// The model's state for one partition during the search: every key's value history, the number of state changes
/// linearized so far (<see cref="Step"/>), per session the oldest step its reads may still observe
/// (<see cref="Floors"/>: monotonic reads, read-your-writes), and what is known to be committed by when
/// (<see cref="Front"/>: pairs (step, time) meaning every change up to step was committed by that time, kept as a
/// Pareto front; a read after a sync must observe at least the newest step committed before the sync was invoked).
/// </summary>
internal sealed class ModelState : IEquatable<ModelState>
{
    public ModelState(KeyHistory[] keys, int step, int[] floors, (int Step, long Time)[] front)
    {
        Keys = keys;
        Step = step;
        Floors = floors;
        Front = front;
        var h = new HashCode();
        h.Add(step);
        foreach (var k in keys) h.Add(k.Hash);
        foreach (var f in floors) h.Add(f);
        foreach (var (s, t) in front)
        {
            h.Add(s);
            h.Add(t);
        }

        hash = h.ToHashCode();
    }

    private readonly int hash;

    public KeyHistory[] Keys { get; }
    public int Step { get; }
    public int[] Floors { get; }
    public (int Step, long Time)[] Front { get; }

    /// <summary>The newest step known to be committed before <paramref name="time"/> (0 if none).</summary>
    public int CommittedBefore(long time)
    {
        var best = 0;
        foreach (var (s, t) in Front)
        {
            if (t < time && s > best) best = s;
        }

        return best;
    }

    /// <summary>The front with (step, time) added, dominated pairs dropped.</summary>
    public (int Step, long Time)[] FrontWith(int step, long time)
    {
        foreach (var (s, t) in Front)
        {
            if (s >= step && t <= time) return Front;
        }

        var list = new List<(int, long)>(Front.Length + 1) { (step, time) };
        foreach (var (s, t) in Front)
        {
            if (!(step >= s && time <= t)) list.Add((s, t));
        }

        list.Sort();
        return [.. list];
    }

    public bool Equals(ModelState? other)
    {
        if (other is null || other.hash != hash || other.Step != Step) return false;
        if (!Floors.AsSpan().SequenceEqual(other.Floors) || !Front.AsSpan().SequenceEqual(other.Front)) return false;
        for (var i = 0; i < Keys.Length; i++)
        {
            if (!KeyHistory.Same(Keys[i], other.Keys[i])) return false;
        }

        return true;
    }

    public override bool Equals(object? obj) => obj is ModelState s && Equals(s);

    public override int GetHashCode() => hash;
}
