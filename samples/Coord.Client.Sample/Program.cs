// Coord.Client.Sample: connects to the server given as the first argument (default 127.0.0.1:2181), creates a
// node, reads it, watches it (a one-shot callback, then a stream), takes a DistributedLock, cleans up and exits 0.
// Any failure ends it with an exception and a non-zero exit code. It prints one line per step.
using System.Text;
using Coord.Client;
using Coord.Protocol;
using Coord.Client.Recipes;

string server = args.Length > 0 ? args[0] : "127.0.0.1:2181";
using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(30)); // bounds every step
CancellationToken ct = deadline.Token;

await using var client = await CoordClient.ConnectAsync(server,
    new CoordClientOptions { SessionTimeout = TimeSpan.FromSeconds(10) }, ct);
client.StateChanged += (_, change) => Console.WriteLine($"state: {change.Previous} -> {change.Current}");
Console.WriteLine($"connected to {server}, session 0x{client.SessionId:x}");

// A sequential name, so that runs against the same server never collide.
string path = await client.CreateAsync("/coord-sample-", "hello"u8.ToArray(), mode: CreateMode.PersistentSequential, ct: ct);
Console.WriteLine($"created {path}");

// Read it and leave a one-shot watch; the next change of its data fires the callback once.
var changed = new TaskCompletionSource<WatchedEvent>(TaskCreationOptions.RunContinuationsAsynchronously);
var (data, stat) = await client.GetDataAsync(path, watcher: e => changed.TrySetResult(e), ct: ct);
Console.WriteLine($"read {path}: \"{Encoding.UTF8.GetString(data)}\" version {stat.Version}");

await client.SetDataAsync(path, "world"u8.ToArray(), version: stat.Version, ct: ct);
WatchedEvent fired = await changed.Task.WaitAsync(ct);
Console.WriteLine($"watch fired: {fired.Type} {fired.Path}");

// The same as a stream: the current value first, then each new one.
await foreach (DataResult? value in client.WatchDataAsync(path, ct))
{
    string text = value is null ? "(deleted)" : Encoding.UTF8.GetString(value.Data);
    Console.WriteLine($"stream: \"{text}\" version {value?.Stat.Version}");
    if (text != "world") break;
    await client.SetDataAsync(path, "again"u8.ToArray(), ct: ct);
}

// A fair, re-entrant lock under the node; the handle releases it when disposed.
var mutex = new DistributedLock(client, $"{path}/lock");
await using (LockHandle held = await mutex.AcquireAsync(TimeSpan.FromSeconds(10), ct))
{
    Console.WriteLine($"lock acquired: {held.NodePath} fencing token {held.FencingToken}");
}
Console.WriteLine($"lock released: {!mutex.IsHeld}");

// The lock recipe leaves its (empty) parent node behind; delete it, then the sample's node.
await client.DeleteAsync($"{path}/lock", ct: ct);
await client.DeleteAsync(path, ct: ct);
Console.WriteLine($"deleted {path}");
