using Coord.Protocol;
using Coord.Interop.Specs.Harness;
using static Coord.Client.Interop.Specs.Specs;

namespace Coord.Client.Interop.Specs;

/// <summary>
/// The server process dies and comes back on the same data folder (Coord only: the harness restarts Apache
/// ZooKeeper on a fresh folder). Within the session timeout the session survives; after it, the session is expired.
/// </summary>
public sealed class CoordRestartSpecs : IAsyncLifetime
{
    private readonly string dataDir = TempDir.Create("client-restart");
    private readonly List<IServerProcess> started = [];

    private async Task<IServerProcess> StartCoordAsync()
    {
        var server = await Servers.StartAsync("coord", new ServerOptions(TickMs: 500, DataDir: dataDir));
        started.Add(server);
        return server;
    }

    [Fact]
    public async Task A_restarted_server_resumes_the_session_within_its_timeout()
    {
        var first = await StartCoordAsync();
        await using var proxy = new TcpProxy(first.Host, first.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 8000));
        var eph = await client.CreateAsync("/restart-eph", Bytes("x"), mode: CreateMode.Ephemeral);
        long session = client.SessionId;

        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        await first.KillAsync();
        await disconnected;
        var second = await StartCoordAsync();
        var reconnected = WaitForStateAsync(client, ConnectionState.Connected);
        proxy.Retarget(second.Host, second.Port);
        await reconnected;

        Assert.Equal(session, client.SessionId);
        var stat = await client.ExistsAsync(eph);
        Assert.Equal(session, stat!.Value.EphemeralOwner);
    }

    [Fact]
    public async Task A_restarted_server_expires_a_session_that_stayed_away_longer_than_its_timeout()
    {
        var first = await StartCoordAsync();
        await using var proxy = new TcpProxy(first.Host, first.Port);
        await using var client = await CoordClient.ConnectAsync(proxy.ConnectString, Options(sessionMs: 1500));
        var eph = await client.CreateAsync("/expire-eph", null, mode: CreateMode.Ephemeral);

        var disconnected = WaitForStateAsync(client, ConnectionState.Disconnected);
        proxy.Pause();
        await first.KillAsync();
        await disconnected;
        var second = await StartCoordAsync();
        proxy.Retarget(second.Host, second.Port);
        await using (var direct = await CoordClient.ConnectAsync(second.ConnectString, Options()))
        {
            var gone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            if (await direct.ExistsAsync(eph, e => gone.TrySetResult()) is not null) await gone.Task.WaitAsync(Wait);
            Assert.Null(await direct.ExistsAsync(eph));
        }
        var expired = WaitForStateAsync(client, ConnectionState.Expired);
        proxy.Resume();
        await expired;
        await Assert.ThrowsAsync<SessionExpiredException>(() => client.GetDataAsync("/"));
    }

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (var server in started) await server.DisposeAsync();
        TempDir.Delete(dataDir);
    }
}
