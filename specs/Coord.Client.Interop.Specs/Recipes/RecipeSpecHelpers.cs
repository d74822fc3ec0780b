using Coord.Client;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs.Recipes;

/// <summary>Helpers for the recipe specs: sessions by the dozen, and waits that are on an event and bounded by
/// <see cref="Specs.Wait"/>.</summary>
internal static class RecipeSpecHelpers
{
    /// <summary>Watches the children of <paramref name="path"/> until <paramref name="until"/> holds (a missing
    /// node counts as no children).</summary>
    public static async Task<IReadOnlyList<string>> ChildrenAsync(CoordClient client, string path,
        Func<IReadOnlyList<string>, bool> until)
    {
        using var timeout = new CancellationTokenSource(Wait);
        while (true)
        {
            var changed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            IReadOnlyList<string> children;
            try
            {
                children = await client.GetChildrenAsync(path, _ => changed.TrySetResult(), timeout.Token);
            }
            catch (NoNodeException)
            {
                if (await client.ExistsAsync(path, _ => changed.TrySetResult(), timeout.Token) is not null) continue;
                children = [];
            }
            if (until(children)) return children;
            await changed.Task.WaitAsync(timeout.Token);
        }
    }

    /// <summary>One round trip on each session: replies come in order, so any reply that would have let a waiter
    /// through before this point has arrived by now.</summary>
    public static Task RoundTripAsync(IEnumerable<CoordClient> clients) =>
        Task.WhenAll(clients.Select(c => c.ExistsAsync("/"))).WaitAsync(Wait);

    /// <summary><paramref name="count"/> sessions, opened one after another.</summary>
    public static async Task<CoordClient[]> ConnectManyAsync(string connectString, int count)
    {
        var clients = new CoordClient[count];
        for (int i = 0; i < count; i++) clients[i] = await CoordClient.ConnectAsync(connectString, Options());
        return clients;
    }

    /// <summary>Closes every session (their ephemerals go at once).</summary>
    public static async Task DisposeAllAsync(IEnumerable<CoordClient> clients)
    {
        foreach (var client in clients) await client.DisposeAsync();
    }

    /// <summary>Raises <paramref name="target"/> to <paramref name="value"/> if that is higher, atomically.</summary>
    public static void InterlockedMax(ref int target, int value)
    {
        int seen;
        while ((seen = Volatile.Read(ref target)) < value && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }
}
