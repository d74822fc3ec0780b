using Coord.Client;
using Coord.Interop.Specs.Harness;

namespace Coord.Client.Interop.Specs;

/// <summary>One ZooKeeper and one Coord server shared by a spec class. A 500 ms tick lets sessions expire in
/// about a second and a half (minimum session timeout 2 ticks, maximum 20).</summary>
public sealed class ServersFixture : ServerPool
{
    protected override ServerOptions Options => new(TickMs: 500);
}

internal static class Specs
{
    public static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    public static CoordClientOptions Options(int sessionMs = 8000) => new() { SessionTimeout = TimeSpan.FromMilliseconds(sessionMs) };

    /// <summary>A fresh root for one spec, so specs sharing a server do not see each other's nodes.</summary>
    public static async Task<string> RootAsync(CoordClient client, string name)
    {
        string root = $"/{name}-{Guid.NewGuid():N}";
        await client.CreateAsync(root, null);
        return root;
    }

    public static byte[] Bytes(string text) => System.Text.Encoding.UTF8.GetBytes(text);

    /// <summary>Completes when the client reaches <paramref name="state"/> (or already is in it).</summary>
    public static Task WaitForStateAsync(CoordClient client, ConnectionState state)
    {
        var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        client.StateChanged += (_, change) =>
        {
            if (change.Current == state) reached.TrySetResult();
        };
        if (client.State == state) reached.TrySetResult();
        return reached.Task.WaitAsync(Wait);
    }
}
