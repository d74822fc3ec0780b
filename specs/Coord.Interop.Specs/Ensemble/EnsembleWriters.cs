using System.Diagnostics;
using System.Globalization;
using Coord.Client;

using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// One writer of the fault specs: a Coord.Client session (connect string with every member) that runs, one call at a
/// time, iteration k = create <c>ROOT/c{k}</c>, set <c>ROOT/counter</c> to k, and a multi creating <c>ROOT/m{k}a</c> and
/// <c>ROOT/m{k}b</c>. It records what was ACKNOWLEDGED and what is in doubt (the connection dropped before the reply:
/// applied or not, both are allowed), and the time of every acknowledgement. Nothing is retried: a retry of a write
/// in doubt would blur what the server acknowledged.
/// </summary>
internal sealed class EnsembleWriter
{
    private readonly Lock _gate = new();
    private readonly List<(long Target, TaskCompletionSource Done)> _waiters = new();
    private readonly List<long> _ackTicks = new();
    private Task? _loop;

    private EnsembleWriter(int index, string root, CoordClient client)
    {
        Index = index;
        Root = root;
        Client = client;
        SessionId = client.SessionId;
    }

    public int Index { get; }
    public string Root { get; }
    public CoordClient Client { get; }
    /// <summary>The session id at connect; the specs assert it never changes.</summary>
    public long SessionId { get; }
    public HashSet<int> AckedCreates { get; } = new();
    public HashSet<int> AckedMultis { get; } = new();
    public int LastAckedSet { get; private set; } = -1;
    /// <summary>Iterations begun; no node of iteration k ≥ this may exist.</summary>
    public int Iterations { get; private set; }
    public List<string> InDoubt { get; } = new();
    public List<string> Failures { get; } = new();
    public long Acked { get { lock (_gate) return _ackTicks.Count; } }

    /// <summary>Stopwatch timestamps of every acknowledgement.</summary>
    public IReadOnlyList<long> AckTicks { get { lock (_gate) return _ackTicks.ToList(); } }

    public static async Task<EnsembleWriter> ConnectAsync(int index, string root, string connectString, TimeSpan sessionTimeout)
    {
        var client = await CoordClient.ConnectAsync(connectString, new CoordClientOptions
        {
            SessionTimeout = sessionTimeout,
            ConnectTimeout = TimeSpan.FromSeconds(2),
            RetryPolicy = RetryPolicy.None,
            InitialConnectTimeout = TimeSpan.FromSeconds(20),
        });
        try
        {
            await client.CreateAsync(root, null);
            await client.CreateAsync(root + "/counter", "-1"u8.ToArray());
            return new EnsembleWriter(index, root, client);
        }
        catch
        {
            await client.DisposeAsync();
            throw;
        }
    }

    public void Start(CancellationToken stop) => _loop = Task.Run(() => RunAsync(stop));

    /// <summary>Completes once <paramref name="more"/> further writes are acknowledged (from the count now).</summary>
    public Task WhenMoreAckedAsync(long more)
    {
        lock (_gate)
        {
            var tcs = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((_ackTicks.Count + more, tcs));
            return tcs.Task;
        }
    }

    public Task Finished => _loop ?? Task.CompletedTask;

    private async Task RunAsync(CancellationToken stop)
    {
        for (int k = 0; !stop.IsCancellationRequested; k++)
        {
            Iterations = k + 1;
            var text = k.ToString(CultureInfo.InvariantCulture);
            var data = System.Text.Encoding.UTF8.GetBytes(text);
            if (!await CallAsync($"create c{k}", ct => Client.CreateAsync($"{Root}/c{k}", data, ct: ct), () => AckedCreates.Add(k))) return;
            if (!await CallAsync($"set counter={k}", ct => Client.SetDataAsync($"{Root}/counter", data, ct: ct), () => LastAckedSet = k)) return;
            if (!await CallAsync($"multi m{k}", ct => Client.Transaction().Create($"{Root}/m{k}a", data).Create($"{Root}/m{k}b", data).CommitAsync(ct),
                    () => AckedMultis.Add(k))) return;
        }
    }

    /// <summary>One call; false once the writer must stop (its session is gone, or an answer no fault explains).</summary>
    private async Task<bool> CallAsync(string what, Func<CancellationToken, Task> call, Action acknowledged)
    {
        using var timeout = new CancellationTokenSource(EnsembleInspect.CallTimeout);
        try
        {
            await call(timeout.Token);
        }
        catch (ConnectionLossException)
        {
            InDoubt.Add(what);
            return true;
        }
        catch (SessionExpiredException)
        {
            Failures.Add($"writer {Index}: {what}: session 0x{SessionId:x} expired");
            return false;
        }
        catch (OperationCanceledException)
        {
            Failures.Add($"writer {Index}: {what}: no answer within {EnsembleInspect.CallTimeout.TotalSeconds:0} s (client state {Client.State})");
            return false;
        }
        catch (CoordException ex)
        {
            Failures.Add($"writer {Index}: {what}: {ex.Code} ({ex.Message})");
            return false;
        }
        acknowledged();
        lock (_gate)
        {
            _ackTicks.Add(Stopwatch.GetTimestamp());
            foreach (var w in _waiters.Where(w => _ackTicks.Count >= w.Target).ToList())
            {
                _waiters.Remove(w);
                w.Done.TrySetResult();
            }
        }
        return true;
    }

    /// <summary>
    /// Checks one member's view of this writer's nodes (paths relative to the tree <see cref="EnsembleInspect.ReadTreeAsync"/>
    /// returned): every acknowledged create and multi is there, no multi is there by half, the counter holds the last
    /// acknowledged value or a later one, and nothing exists that was never attempted.
    /// </summary>
    public IEnumerable<string> Problems(string member, IReadOnlyDictionary<string, string> tree)
    {
        foreach (var k in AckedCreates.Where(k => !tree.ContainsKey($"{Root}/c{k}")).Take(5))
            yield return $"{member}: acknowledged create {Root}/c{k} is missing";
        foreach (var k in AckedMultis.Where(k => !tree.ContainsKey($"{Root}/m{k}a") || !tree.ContainsKey($"{Root}/m{k}b")).Take(5))
            yield return $"{member}: acknowledged multi {Root}/m{k}a+b is missing (a: {tree.ContainsKey($"{Root}/m{k}a")}, b: {tree.ContainsKey($"{Root}/m{k}b")})";
        for (int k = 0; k < Iterations + 1; k++)
        {
            if (tree.ContainsKey($"{Root}/m{k}a") != tree.ContainsKey($"{Root}/m{k}b"))
                yield return $"{member}: multi {Root}/m{k} is half applied (a: {tree.ContainsKey($"{Root}/m{k}a")}, b: {tree.ContainsKey($"{Root}/m{k}b")})";
        }
        if (!tree.TryGetValue($"{Root}/counter", out var counter) || !int.TryParse(counter, CultureInfo.InvariantCulture, out var value))
            yield return $"{member}: {Root}/counter is missing or not a number";
        else if (value < LastAckedSet || value >= Iterations)
            yield return $"{member}: {Root}/counter is {value}, but {LastAckedSet} was acknowledged and {Iterations - 1} is the last attempted";
        foreach (var path in tree.Keys.Where(p => p.StartsWith(Root + "/", StringComparison.Ordinal)))
        {
            var name = path[(Root.Length + 1)..];
            if (name == "counter") continue;
            var digits = name.TrimStart('c', 'm').TrimEnd('a', 'b');
            if (!int.TryParse(digits, CultureInfo.InvariantCulture, out var k) || k >= Iterations)
                yield return $"{member}: {path} was never written by writer {Index}";
        }
    }
}

/// <summary>A group of <see cref="EnsembleWriter"/>s under one root: started and stopped together, measured together.</summary>
internal sealed class EnsembleWriters : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new();

    private EnsembleWriters(string root, List<EnsembleWriter> writers)
    {
        Root = root;
        All = writers;
    }

    public string Root { get; }
    public List<EnsembleWriter> All { get; }

    /// <summary>Connects <paramref name="count"/> writers to <paramref name="connectString"/> and creates their folders.</summary>
    public static async Task<EnsembleWriters> ConnectAsync(string connectString, string root, int count, TimeSpan sessionTimeout)
    {
        var writers = new List<EnsembleWriter>();
        try
        {
            await using (var setup = await CoordClient.ConnectAsync(connectString)) await setup.CreateAsync(root, null);
            for (int i = 0; i < count; i++) writers.Add(await EnsembleWriter.ConnectAsync(i, $"{root}/w{i}", connectString, sessionTimeout));
        }
        catch
        {
            foreach (var w in writers) await w.Client.DisposeAsync();
            throw;
        }
        return new EnsembleWriters(root, writers);
    }

    /// <summary>Replaces writer <paramref name="index"/> (not started yet) by a fresh one, e.g. to place a session on a given member.</summary>
    public async Task ReplaceAsync(int index, string connectString, TimeSpan sessionTimeout, int generation)
    {
        await All[index].Client.DisposeAsync();
        All[index] = await EnsembleWriter.ConnectAsync(index, $"{Root}/w{index}g{generation}", connectString, sessionTimeout);
    }

    public void Start()
    {
        foreach (var w in All) w.Start(_stop.Token);
    }

    /// <summary>Waits until every writer has <paramref name="more"/> more acknowledged writes; a writer that stops fails it.</summary>
    public async Task WhenEachAckedAsync(long more, TimeSpan timeout, string what, Func<string> describe)
    {
        var waits = All.Select(w => Task.WhenAny(w.WhenMoreAckedAsync(more), w.Finished)).ToList();
        try
        {
            await Task.WhenAll(waits).WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"{what}: not every writer had {more} more writes acknowledged within {timeout.TotalSeconds:0} s " +
                                       $"(acked: {string.Join(", ", All.Select(w => $"w{w.Index}={w.Acked}"))}; failures: {string.Join("; ", Failures)})\n{describe()}");
        }
        Assert.True(!Failures.Any(), $"{what}: writers failed:\n{string.Join("\n", Failures)}\n{describe()}");
    }

    public IEnumerable<string> Failures => All.SelectMany(w => w.Failures);

    public async Task StopAsync()
    {
        await _stop.CancelAsync();
        await Task.WhenAll(All.Select(w => w.Finished)).WaitAsync(EnsembleInspect.CallTimeout + TimeSpan.FromSeconds(10));
    }

    /// <summary>
    /// The longest gap between consecutive acknowledgements (over all writers) from <paramref name="fromTicks"/> (a fault)
    /// to <paramref name="toTicks"/>: what a user sees as the service's pause.
    /// </summary>
    public TimeSpan LongestPause(long fromTicks, long toTicks)
    {
        var ticks = All.SelectMany(w => w.AckTicks).Where(t => t >= fromTicks && t <= toTicks).Order().Prepend(fromTicks).ToList();
        long longest = 0;
        for (int i = 1; i < ticks.Count; i++) longest = Math.Max(longest, ticks[i] - ticks[i - 1]);
        return Stopwatch.GetElapsedTime(0, longest);
    }

    /// <summary>Every member's view, checked against every writer's record.</summary>
    public List<string> Problems(int memberId, IReadOnlyDictionary<string, string> tree) =>
        All.SelectMany(w => w.Problems($"member {memberId}", tree)).ToList();

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await Task.WhenAll(All.Select(w => w.Finished)).WaitAsync(TimeSpan.FromSeconds(30)); } catch (Exception) { /* reported by the spec */ }
        foreach (var w in All) await w.Client.DisposeAsync();
        _stop.Dispose();
    }
}
