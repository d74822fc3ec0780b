using Coord.Interop.Specs.Fuzz;
using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Smoke;

/// <summary>A server process holding many live sessions at once, each on its own socket.</summary>
public sealed class ScaleSpecs
{
    [Fact]
    public async Task Coord_holds_ten_thousand_concurrent_sessions()
    {
        const int n = 10_000;
        await using var server = await Servers.StartAsync("coord", new ServerOptions(ConnectionsPerIpMax: 0));
        var clients = new List<RawZkClient>(n);
        try
        {
            await Task.Run(async () =>
            {
                // Handshakes in waves so the listen backlog is never the bottleneck being measured.
                for (int i = 0; i < n; i += 250)
                    clients.AddRange(await Task.WhenAll(Enumerable.Range(0, Math.Min(250, n - i))
                        .Select(_ => RawZkClient.ConnectAsync(server.Host, server.Port, TimeSpan.FromSeconds(30)))));
            });
            Assert.Equal(n, clients.Select(c => c.SessionId).Distinct().Count());
            var mntr = await server.FourLetterWordAsync("mntr");
            Assert.Contains($"zk_global_sessions\t{n}\n", mntr);
            // The four-letter-word connection itself is alive while mntr runs.
            Assert.Contains($"zk_num_alive_connections\t{n + 1}\n", mntr);
            Assert.Equal(0, await clients[^1].CreateAsync("/after-10k", [1], [(31, "world", "anyone")]));
            Assert.Equal(0, (await clients[0].GetDataAsync("/after-10k")).Err);
        }
        finally
        {
            await Task.WhenAll(clients.Select(c => c.DisposeAsync().AsTask()));
        }
    }
}
