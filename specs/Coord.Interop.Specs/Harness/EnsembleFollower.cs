
namespace Coord.Interop.Specs.Harness;

/// <summary>
/// The "coord-follower" server kind: a three-member Coord ensemble (HOCON, the harness's options) whose clients
/// are pointed at one FOLLOWER, so every write they make is forwarded to the leader and every read is served by a
/// member that learned the write by replication. Disposing stops all three members.
/// </summary>
internal sealed class EnsembleFollower(EnsembleProcesses ensemble, EnsembleMember follower) : IServerProcess
{
    public static async Task<IServerProcess> StartAsync(ServerOptions options)
    {
        if (options.DataDir is not null) throw new ArgumentException("the coord-follower kind starts fresh members; it takes no data folder");
        // Sync limits of a few ticks, as ZooKeeper's defaults; the ticks are the options' (session timeouts are in ticks too).
        var ensemble = await EnsembleProcesses.StartAsync(3, zooCfg: false, options, initLimit: 10, syncLimit: 5);
        try
        {
            var leader = await ensemble.WaitForLeaderAsync(TimeSpan.FromSeconds(60));
            return new EnsembleFollower(ensemble, ensemble.Members.First(m => m != leader));
        }
        catch
        {
            await ensemble.DisposeAsync();
            throw;
        }
    }

    public EnsembleProcesses Ensemble { get; } = ensemble;
    public string Kind => "coord-follower";
    public string ConnectString => follower.HostPort;
    public string Host => "127.0.0.1";
    public int Port => follower.ClientPort;
    public int Pid => follower.Process?.Pid ?? 0;
    public string DataDir => follower.DataDir;

    public Task<string> FourLetterWordAsync(string word, TimeSpan? timeout = null) => Net.FourLetterWordAsync(Host, Port, word, timeout);

    public async Task KillAsync()
    {
        follower.Kill9();
        await follower.WaitExitedAsync();
    }

    public ValueTask DisposeAsync() => Ensemble.DisposeAsync();

    public override string ToString() => $"{Kind}@{ConnectString} (member {follower.Id})";
}
