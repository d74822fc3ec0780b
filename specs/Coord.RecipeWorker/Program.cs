using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;
using Coord.Client;
using Coord.Protocol;
using Coord.Client.Recipes;

// A recipe participant in its own process, for the multi-process specs (see README.md). The lines written to stdout
// are the protocol with the spec, so each is one self-contained line.

if (args.Length == 0 || !Options.TryParse(args[1..], out var options))
{
    Console.Error.WriteLine("usage: coord-recipe-worker lock|leader --server HOST:PORT --path /p --id X [--iterations N] [--session-ms T]");
    return 2;
}

using var stop = new CancellationTokenSource();
using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    stop.Cancel();
});
var go = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
_ = Task.Run(async () =>
{
    // "go" starts the lock loop; end of stdin means the spec is gone, so stop.
    while (await Console.In.ReadLineAsync() is { } line)
    {
        if (line.Trim() == "go") go.TrySetResult();
    }
    stop.Cancel();
    go.TrySetCanceled();
});

try
{
    return args[0] switch
    {
        "lock" => await Workers.LockAsync(options, go.Task, stop.Token),
        "leader" => await Workers.LeaderAsync(options, stop.Token),
        _ => 2,
    };
}
catch (OperationCanceledException) when (stop.IsCancellationRequested)
{
    return 0;
}

internal sealed record Options(string Server, string Path, string Id, int Iterations, int SessionMs, bool NoLock)
{
    public static bool TryParse(string[] args, out Options options)
    {
        var values = new Dictionary<string, string>();
        for (int i = 0; i + 1 < args.Length; i += 2) values[args[i]] = args[i + 1];
        options = new Options(
            values.GetValueOrDefault("--server", ""),
            values.GetValueOrDefault("--path", ""),
            values.GetValueOrDefault("--id", Environment.ProcessId.ToString()),
            int.Parse(values.GetValueOrDefault("--iterations", "100")),
            int.Parse(values.GetValueOrDefault("--session-ms", "8000")),
            values.GetValueOrDefault("--no-lock", "false") == "true");
        return args.Length % 2 == 0 && options.Server.Length > 0 && options.Path.StartsWith('/');
    }

    public CoordClientOptions Client => new() { SessionTimeout = TimeSpan.FromMilliseconds(SessionMs) };
}

internal static class Workers
{
    private static readonly TimeSpan AcquireTimeout = TimeSpan.FromSeconds(60);

    /// <summary>Acquires the lock N times. Two holders at once show up as NodeExists on the holder node, as BadVersion
    /// on the counter, or as a fencing token that does not grow past the one the previous holder stored. With
    /// <c>--no-lock true</c> it skips the lock (and the token check), so a spec can show that the checks catch
    /// overlapping holders.</summary>
    public static async Task<int> LockAsync(Options options, Task go, CancellationToken ct)
    {
        await using var client = await CoordClient.ConnectAsync(options.Server, options.Client, ct);
        var mutex = new DistributedLock(client, $"{options.Path}/mutex");
        string holder = $"{options.Path}/holder", counter = $"{options.Path}/counter";
        Console.WriteLine($"ready {options.Id}");
        await go.WaitAsync(ct);
        int violations = 0;
        void Violation(string what)
        {
            violations++;
            Console.WriteLine($"violation {options.Id} {what}");
        }
        var clock = Stopwatch.StartNew();
        for (int n = 0; n < options.Iterations; n++)
        {
            await using var held = options.NoLock ? null : await mutex.AcquireAsync(AcquireTimeout, ct);
            long token = held?.FencingToken ?? 0;
            bool mine = false;
            try
            {
                await client.CreateAsync(holder, Encoding.UTF8.GetBytes(options.Id), mode: CreateMode.Ephemeral, ct: ct);
                mine = true;
            }
            catch (NodeExistsException)
            {
                Violation($"holder-exists iteration={n}");
            }
            var (data, stat) = await client.GetDataAsync(counter, ct: ct);
            var fields = Encoding.UTF8.GetString(data).Split(' ');
            long count = long.Parse(fields[0]), lastToken = long.Parse(fields[1]);
            if (held is not null && token <= lastToken) Violation($"token-not-growing token={token} stored={lastToken}");
            try
            {
                await client.SetDataAsync(counter, Encoding.UTF8.GetBytes($"{count + 1} {Math.Max(token, lastToken)}"), stat.Version, ct);
            }
            catch (BadVersionException)
            {
                Violation($"counter-raced iteration={n}");
            }
            if (mine) await client.DeleteAsync(holder, ct: ct);
        }
        Console.WriteLine($"done {options.Id} {options.Iterations} {violations} {clock.ElapsedMilliseconds}");
        return violations == 0 ? 0 : 1;
    }

    /// <summary>Takes part in the latch until stopped, printing each change of leadership with a wall-clock time.</summary>
    public static async Task<int> LeaderAsync(Options options, CancellationToken ct)
    {
        await using var latch = new LeaderLatch(token => CoordClient.ConnectAsync(options.Server, options.Client, token),
            options.Path, options.Id);
        latch.LeadershipChanged += (_, leads) => Console.WriteLine(leads
            ? $"leader {options.Id} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()} {latch.FencingToken}"
            : $"follower {options.Id} {DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()}");
        await latch.StartAsync(ct);
        Console.WriteLine($"ready {options.Id} 0x{latch.Client!.SessionId:x}");
        await Task.Delay(Timeout.Infinite, ct);
        return 0;
    }
}
