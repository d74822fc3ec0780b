using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;

namespace Coord.Actors.Faults;

/// <summary>
/// Named failpoints compiled into the server for fault tests (issue 13): a point can crash the process, pause it,
/// delay the thread that hit it, or fail (throw <see cref="FailpointException"/>, an <see cref="IOException"/>, as a
/// failing disk would). They are off unless the process starts with the environment variable
/// <c>COORD_FAILPOINTS</c> set (a test-only setting; the value, possibly empty, arms points at start:
/// <c>journal.before-commit=delay(50);learner.after-ack=crash after=100</c>). Off, a point costs one read of a
/// static readonly bool the JIT folds away: call sites are <c>if (Failpoints.Enabled) Failpoints.Hit(name)</c>.
/// On, the admin HTTP server also lists and sets them (<c>GET /failpoints</c>, <c>PUT /failpoints/NAME</c> with the
/// spec as body, <c>DELETE /failpoints/NAME</c>), so a fault schedule can arm one at the moment it chooses.
/// </summary>
public static class Failpoints
{
    public const string EnvironmentVariable = "COORD_FAILPOINTS";

    /// <summary>Journal writer thread, the batch written but its transaction (the fsync) not yet committed.</summary>
    public const string JournalBeforeCommit = "journal.before-commit";
    /// <summary>Journal writer thread, the batch durable but nobody told yet (a follower has not acknowledged it).</summary>
    public const string JournalAfterCommit = "journal.after-commit";
    /// <summary>Leader, a quorum has the txns on disk, before the COMMIT messages go out to the learners.</summary>
    public const string LeaderBeforeCommit = "leader.before-commit";
    /// <summary>Learner, right after it sent an ACK, before it applies anything more.</summary>
    public const string LearnerAfterAck = "learner.after-ack";
    /// <summary>Learner, a COMMIT received, before the committed txns go to the applier.</summary>
    public const string LearnerBeforeApply = "learner.before-apply";
    /// <summary>Learner installing a snapshot from its leader: the snapshot file staged, the journal not yet reset to it.</summary>
    public const string SnapshotInstallStaged = "snapshot.install-staged";
    /// <summary>Learner installing a snapshot: the journal reset to it (the install's commit point), the staged file not yet renamed.</summary>
    public const string SnapshotInstallReset = "snapshot.install-reset";

    /// <summary>Every point compiled into the server, for listings and for refusing a misspelt name.</summary>
    public static IReadOnlyList<string> Names { get; } =
        [JournalBeforeCommit, JournalAfterCommit, LeaderBeforeCommit, LearnerAfterAck, LearnerBeforeApply, SnapshotInstallStaged, SnapshotInstallReset];

    /// <summary>True when the process started with <see cref="EnvironmentVariable"/> set.</summary>
    public static readonly bool Enabled = Environment.GetEnvironmentVariable(EnvironmentVariable) is not null;

    /// <summary>The process's points (armed from the environment when <see cref="Enabled"/>).</summary>
    public static FailpointRegistry Registry { get; } = CreateRegistry();

    /// <summary>Why the points given in the environment could not be armed (the server refuses to start), or null.</summary>
    public static string? ArmError { get; private set; }

    private static FailpointRegistry CreateRegistry()
    {
        var registry = new FailpointRegistry(Names, ProcessActions.Instance);
        try
        {
            if (Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } armed) registry.ArmAll(armed);
        }
        catch (FormatException ex)
        {
            ArmError = $"{EnvironmentVariable}: {ex.Message}";
        }
        return registry;
    }

    private static long _wallClockOffsetMs;

    /// <summary>
    /// A jump of this member's wall clock (milliseconds added to UTC now wherever the server reads the wall clock:
    /// txn times, ctime/mtime, TTL and container ages), set through the admin HTTP server's <c>PUT /failpoints/clock</c>
    /// so a fault schedule can move one member's clock by hours; the monotonic clock (timeouts, expiry) is untouched.
    /// Always 0 unless <see cref="Enabled"/>.
    /// </summary>
    public static long WallClockOffsetMs
    {
        get => Interlocked.Read(ref _wallClockOffsetMs);
        set => Interlocked.Exchange(ref _wallClockOffsetMs, Enabled ? value : 0);
    }

    /// <summary>Runs point <paramref name="name"/>'s action if it is armed. Call only under <c>if (Enabled)</c>.</summary>
    public static void Hit(string name) => Registry.Hit(name);

    /// <summary>What a crash and a pause do to a real process: SIGKILL itself, SIGSTOP itself with a timed SIGCONT.</summary>
    private sealed class ProcessActions : IFailpointActions
    {
        public static readonly ProcessActions Instance = new();

        public void Crash(string name)
        {
            Console.Error.WriteLine($"coord: failpoint {name}: crash");
            Console.Error.Flush();
            Process.GetCurrentProcess().Kill();
            Thread.Sleep(Timeout.Infinite); // the kill is asynchronous; nothing after the point may run
        }

        public void Pause(string name, int ms)
        {
            Console.Error.WriteLine($"coord: failpoint {name}: pausing the process {ms} ms");
            int pid = Environment.ProcessId;
            // The whole process stops (every thread, its sockets unanswered), as SIGSTOP from outside would; a child
            // shell resumes it. Falls back to blocking this thread where there is no shell.
            try
            {
                using var resume = Process.Start(new ProcessStartInfo("/bin/sh", ["-c", $"sleep {ms / 1000.0:0.###}; kill -CONT {pid}"])
                    { UseShellExecute = false });
                using var stop = Process.Start(new ProcessStartInfo("/bin/kill", ["-STOP", pid.ToString(CultureInfo.InvariantCulture)])
                    { UseShellExecute = false });
                stop?.WaitForExit();
            }
            catch (System.ComponentModel.Win32Exception)
            {
                Thread.Sleep(ms);
            }
        }

        public void Delay(string name, int ms) => Thread.Sleep(ms);
    }
}

/// <summary>What the actions do beyond throwing; the process's own in <see cref="Failpoints"/>, a recorder in specs.</summary>
public interface IFailpointActions
{
    void Crash(string name);
    void Pause(string name, int ms);
    void Delay(string name, int ms);
}

/// <summary>A failpoint's injected failure: an I/O error, as a failing disk or a lost write would give.</summary>
public sealed class FailpointException(string name) : IOException($"failpoint {name}: injected failure")
{
    public string Point { get; } = name;
}

/// <summary>The kinds of action a point can take.</summary>
public enum FailpointAction { Off, Crash, Pause, Delay, Fail }

/// <summary>
/// A point's armed state, parsed from a spec: <c>ACTION [times=N] [after=K]</c>, where ACTION is <c>off</c>,
/// <c>crash</c>, <c>fail</c>, <c>delay(MS)</c> or <c>pause(MS)</c>; <c>after=K</c> lets the first K hits pass and
/// <c>times=N</c> fires the action at most N times (then the point is inert). Without them every hit fires.
/// </summary>
public sealed record FailpointSpec(FailpointAction Action, int Ms = 0, int Times = int.MaxValue, int After = 0)
{
    public static FailpointSpec Parse(string spec)
    {
        var parts = spec.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0) throw new FormatException("empty failpoint spec; expected crash, fail, delay(MS), pause(MS) or off");
        var (action, ms) = ParseAction(parts[0]);
        int times = int.MaxValue, after = 0;
        foreach (var option in parts.Skip(1))
        {
            int eq = option.IndexOf('=');
            string key = eq < 0 ? option : option[..eq];
            if (eq < 0 || !int.TryParse(option[(eq + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out int n))
                throw new FormatException($"failpoint option '{option}' is not KEY=N with N a whole number ≥ 0");
            switch (key)
            {
                case "times": times = n; break;
                case "after": after = n; break;
                default: throw new FormatException($"unknown failpoint option '{key}'; expected times=N or after=K");
            }
        }
        return new FailpointSpec(action, ms, times, after);
    }

    private static (FailpointAction, int) ParseAction(string text)
    {
        int open = text.IndexOf('(');
        string name = open < 0 ? text : text[..open];
        int ms = 0;
        if (open >= 0)
        {
            if (!text.EndsWith(')') || !int.TryParse(text.AsSpan(open + 1, text.Length - open - 2), NumberStyles.None, CultureInfo.InvariantCulture, out ms))
                throw new FormatException($"failpoint action '{text}' needs a whole number of milliseconds: {name}(MS)");
        }
        var action = name switch
        {
            "off" => FailpointAction.Off,
            "crash" => FailpointAction.Crash,
            "fail" => FailpointAction.Fail,
            "delay" => FailpointAction.Delay,
            "pause" => FailpointAction.Pause,
            _ => throw new FormatException($"unknown failpoint action '{name}'; expected crash, fail, delay(MS), pause(MS) or off"),
        };
        bool takesMs = action is FailpointAction.Delay or FailpointAction.Pause;
        if (takesMs != (open >= 0))
            throw new FormatException(takesMs ? $"failpoint action {name} needs a duration: {name}(MS)" : $"failpoint action {name} takes no argument");
        return (action, ms);
    }

    public override string ToString()
    {
        string action = Action switch
        {
            FailpointAction.Delay => $"delay({Ms})",
            FailpointAction.Pause => $"pause({Ms})",
            _ => Action.ToString().ToLowerInvariant(),
        };
        return action + (Times != int.MaxValue ? $" times={Times}" : "") + (After != 0 ? $" after={After}" : "");
    }
}

/// <summary>The named points and what each is armed with; thread-safe (points are hit from actor and writer threads).</summary>
public sealed class FailpointRegistry
{
    private readonly ConcurrentDictionary<string, Armed> _points = new(StringComparer.Ordinal);
    private readonly IFailpointActions _actions;

    public FailpointRegistry(IEnumerable<string> names, IFailpointActions actions)
    {
        _actions = actions;
        foreach (var name in names) _points[name] = new Armed(new FailpointSpec(FailpointAction.Off));
    }

    /// <summary>Arms points from <c>name=spec;name=spec</c>; all or none (a bad entry throws before any is armed).</summary>
    public void ArmAll(string specs)
    {
        var parsed = new List<(string, FailpointSpec)>();
        foreach (var entry in specs.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int eq = entry.IndexOf('=');
            if (eq <= 0) throw new FormatException($"failpoint entry '{entry}' is not NAME=SPEC");
            string name = entry[..eq].Trim();
            Check(name);
            parsed.Add((name, FailpointSpec.Parse(entry[(eq + 1)..])));
        }
        foreach (var (name, spec) in parsed) Arm(name, spec);
    }

    /// <summary>Arms <paramref name="name"/> with <paramref name="spec"/>, its hit count starting again at 0.</summary>
    public void Arm(string name, FailpointSpec spec)
    {
        Check(name);
        _points[name] = new Armed(spec);
    }

    public void Disarm(string name) => Arm(name, new FailpointSpec(FailpointAction.Off));

    /// <summary>Each point with its spec, how often it was hit and how often its action fired since armed.</summary>
    public IReadOnlyList<(string Name, FailpointSpec Spec, long Hits, long Fired)> List() =>
        [.. _points.OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => (p.Key, p.Value.Spec, Interlocked.Read(ref p.Value.Hits), Interlocked.Read(ref p.Value.Fired)))];

    public bool Knows(string name) => _points.ContainsKey(name);

    public void Hit(string name)
    {
        if (!_points.TryGetValue(name, out var armed)) throw new ArgumentException($"no failpoint named {name}", nameof(name));
        var spec = armed.Spec;
        if (spec.Action == FailpointAction.Off) return;
        long hit = Interlocked.Increment(ref armed.Hits);
        if (hit <= spec.After) return;
        if (Interlocked.Increment(ref armed.Fired) > spec.Times)
        {
            Interlocked.Decrement(ref armed.Fired);
            return;
        }
        switch (spec.Action)
        {
            case FailpointAction.Crash: _actions.Crash(name); break;
            case FailpointAction.Pause: _actions.Pause(name, spec.Ms); break;
            case FailpointAction.Delay: _actions.Delay(name, spec.Ms); break;
            case FailpointAction.Fail: throw new FailpointException(name);
        }
    }

    private void Check(string name)
    {
        if (!_points.ContainsKey(name))
            throw new FormatException($"no failpoint named '{name}'; the server has: {string.Join(", ", _points.Keys.Order(StringComparer.Ordinal))}");
    }

    private sealed class Armed(FailpointSpec spec)
    {
        public FailpointSpec Spec { get; } = spec;
        public long Hits;
        public long Fired;
    }
}
