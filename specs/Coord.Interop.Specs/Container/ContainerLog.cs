using System.Globalization;
using System.Text.RegularExpressions;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Container;

/// <summary>
/// A container's output from its first line (<c>podman logs -f</c>, which replays what the container printed before,
/// across restarts too), with waits on the lines it prints: the serving line, and the ensemble's role lines
/// ("coord: member 2 is following (leader 3, epoch 2, serving yes): ..."), so specs wait on what coord says of
/// itself rather than polling. Follow again after a restart: the old stream ends with the old process.
/// </summary>
internal sealed partial class ContainerLog : IAsyncDisposable
{
    private readonly ChildProcess _logs;
    private readonly Lock _gate = new();
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Done)> _waiters = [];
    private readonly Task _pump;

    private ContainerLog(string container)
    {
        Container = container;
        _logs = Podman.FollowLogs(container);
        _pump = PumpAsync();
    }

    public string Container { get; }

    [GeneratedRegex(@"^coord: member (?<id>\d+) is (?<state>\w+) \(leader (?<leader>\d+), epoch (?<epoch>\d+), serving (?<serving>yes|no)\)")]
    private static partial Regex RoleLine();

    [GeneratedRegex(@"^coord: serving clients on ")]
    public static partial Regex ServingLine();

    public static ContainerLog Follow(string container) => new(container);

    /// <summary>Completes with the first line, from the start of the container's output, matching <paramref name="match"/>
    /// whose number of earlier matches is <paramref name="skip"/>.</summary>
    public Task<string> LineAsync(Func<string, bool> match, TimeSpan timeout, string what, int skip = 0)
    {
        int seen = 0;
        bool Nth(string line) => match(line) && seen++ == skip;
        var tcs = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_lines.FirstOrDefault(Nth) is { } found) return Task.FromResult(found);
            if (_pump.IsCompleted) return Task.FromException<string>(new InvalidOperationException($"{Container}: output ended before {what}\n{Describe()}"));
            _waiters.Add((Nth, tcs));
        }
        return WithTimeout(tcs.Task, timeout, what);
    }

    /// <summary>Completes with the first role line (from the start) that <paramref name="match"/> accepts.</summary>
    public async Task<MemberRole> RoleAsync(Func<MemberRole, bool> match, TimeSpan timeout, string what) =>
        Role(await LineAsync(l => Role(l) is { } r && match(r), timeout, what))!;

    /// <summary>The member's role in the last role line so far (null before the first).</summary>
    public MemberRole? LastRole
    {
        get { lock (_gate) return _lines.Select(Role).LastOrDefault(r => r is not null); }
    }

    public static MemberRole? Role(string line)
    {
        var m = RoleLine().Match(line);
        return m.Success
            ? new MemberRole(m.Groups["state"].Value, long.Parse(m.Groups["leader"].Value, CultureInfo.InvariantCulture),
                long.Parse(m.Groups["epoch"].Value, CultureInfo.InvariantCulture), m.Groups["serving"].Value == "yes")
            : null;
    }

    public string Describe()
    {
        lock (_gate) return $"--- {Container} output (last 40 lines) ---\n{string.Join('\n', _lines.TakeLast(40))}\n--- podman logs stderr ---\n{_logs.Stderr.Text(10)}";
    }

    private async Task<string> WithTimeout(Task<string> line, TimeSpan timeout, string what)
    {
        try
        {
            return await line.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{Container}: no line showing {what} within {timeout.TotalSeconds:0} s\n{Describe()}");
        }
    }

    private async Task PumpAsync()
    {
        try
        {
            while (true)
            {
                var line = await _logs.WaitForLineAsync(_ => true, TimeSpan.FromDays(1), "output");
                lock (_gate)
                {
                    _lines.Add(line);
                    foreach (var w in _waiters.Where(w => w.Match(line)).ToList())
                    {
                        _waiters.Remove(w);
                        w.Done.TrySetResult(line);
                    }
                }
            }
        }
        catch (InvalidOperationException)
        {
            // podman logs -f ended: the container stopped (or was removed).
        }
        finally
        {
            lock (_gate)
            {
                foreach (var w in _waiters) w.Done.TrySetException(new InvalidOperationException($"{Container}: its output ended\n{Describe()}"));
                _waiters.Clear();
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _logs.DisposeAsync();
        await _pump.WaitAsync(TimeSpan.FromSeconds(10));
    }
}
