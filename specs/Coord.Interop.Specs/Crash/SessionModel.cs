using System.Diagnostics;

namespace Coord.Interop.Specs.Crash;

/// <summary>
/// One writer's short-lived sessions and their ephemerals under <see cref="Parent"/>, across kills. A session
/// acknowledged before a kill must still be there after the restart (attaching to it from a new connection
/// works) unless its timeout has passed; its acknowledged ephemerals exist exactly while it does; a close that
/// was acknowledged removed them for good; a close in flight did both or neither. Used by one lane and the
/// reconcile between cycles, never at once.
/// </summary>
internal sealed class SessionModel(int writer, int sessionTimeoutMs)
{
    internal enum State { Open, Closing, Closed }

    internal sealed class Tracked(long id, byte[] password, string tag)
    {
        public long Id { get; } = id;
        public byte[] Password { get; } = password;
        public string Tag { get; } = tag;
        public HashSet<string> Acked { get; } = [];
        public string? InFlight { get; set; }
        public State State { get; set; }
        public Stopwatch SinceLastAnswer { get; } = Stopwatch.StartNew();
    }

    private readonly List<Tracked> sessions = [];

    public string Parent => $"/crash/e{writer}";
    public int SessionTimeoutMs { get; } = sessionTimeoutMs;

    public Tracked Opened(long id, byte[] password, string tag)
    {
        var s = new Tracked(id, password, tag);
        sessions.Add(s);
        return s;
    }

    public static void Answered(Tracked s) => s.SinceLastAnswer.Restart();

    /// <summary>
    /// After a restart: attaches to every session not known closed (<paramref name="attach"/> returns false when
    /// the server refuses it), then compares <see cref="Parent"/>'s children (read by <paramref name="children"/>
    /// after the attaches, so none can expire in between) and closes the attached sessions through
    /// <paramref name="close"/>. Returns one line per violation.
    /// </summary>
    public async Task<List<string>> ReconcileAsync(Func<Tracked, Task<bool>> attach, Func<Task<IReadOnlyCollection<string>>> children,
        Func<Tracked, Task> close)
    {
        var problems = new List<string>();
        var alive = new List<Tracked>();
        foreach (var s in sessions.Where(s => s.State != State.Closed))
        {
            if (await attach(s))
            {
                alive.Add(s);
            }
            else if (s.State == State.Open && s.SinceLastAnswer.ElapsedMilliseconds < SessionTimeoutMs)
            {
                problems.Add($"{Parent}: session {s.Tag} (0x{s.Id:x}) was lost across the crash " +
                    $"{s.SinceLastAnswer.ElapsedMilliseconds} ms after its last answer (timeout {SessionTimeoutMs} ms)");
            }
        }

        var now = (await children()).ToHashSet(StringComparer.Ordinal);
        foreach (var s in sessions)
        {
            bool isAlive = alive.Contains(s);
            foreach (var name in s.Acked.Where(n => now.Contains(n) != isAlive))
            {
                problems.Add($"{Parent}/{name}: acknowledged ephemeral of {(isAlive ? "live" : "closed or expired")} session {s.Tag} " +
                    $"is {(isAlive ? "missing" : "still there")}");
            }

            if (!isAlive && s.InFlight is { } lost && now.Contains(lost))
            {
                problems.Add($"{Parent}/{lost}: ephemeral of closed or expired session {s.Tag} is still there");
            }
        }

        var known = alive.SelectMany(s => s.InFlight is null ? s.Acked : s.Acked.Append(s.InFlight)).ToHashSet(StringComparer.Ordinal);
        problems.AddRange(now.Where(n => !known.Contains(n) && !sessions.Any(s => s.Acked.Contains(n)))
            .Select(n => $"{Parent}/{n}: an ephemeral no live session created"));

        foreach (var s in alive)
        {
            await close(s);
            s.State = State.Closed;
            s.Acked.IntersectWith(now);
            if (s.InFlight is { } f && now.Contains(f))
            {
                s.Acked.Add(f);
            }

            s.InFlight = null;
        }

        // The sessions closed just now are checked once more next time (their ephemerals must stay gone); the
        // rest were closed or refused before and are forgotten.
        sessions.RemoveAll(s => !alive.Contains(s));
        return problems;
    }
}
