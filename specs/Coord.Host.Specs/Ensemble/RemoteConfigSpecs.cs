using Akka.Configuration;
using Akka.Remote;
using Coord.Actors.Settings;
using Coord.Host.Ensemble;

namespace Coord.Host.Specs.Ensemble;

/// <summary>
/// The peer transport a member runs: the remoting specs/Coord.Actors.Specs/Ensemble/RestartedPeerLinkSpecs.cs stages a
/// kill -9 and restart under (it copies these values, not being able to reach Coord.Host) must stay what
/// <see cref="EnsembleBoot.RemoteConfig"/> gives.
/// </summary>
public class RemoteConfigSpecs
{
    private static EnsembleSettings Three(int sync) => new(2,
    [
        new EnsembleMember(1, "127.0.0.1", 2888, 3888, false, null, 0),
        new EnsembleMember(2, "127.0.0.1", 2889, 3889, false, null, 0),
        new EnsembleMember(3, "127.0.0.1", 2890, 3890, false, null, 0),
    ], 10, sync);

    /// <summary>Akka.Remote's reference.conf, as an ActorSystem falls back to it.</summary>
    private static readonly Akka.Configuration.Config AkkaRemoteDefaults =
        ConfigurationFactory.FromResource<RemoteSettings>("Akka.Remote.Configuration.Remote.conf");

    [Fact]
    public void Passive_connections_are_off_as_Akka_Remote_reads_the_config()
    {
        var config = EnsembleBoot.RemoteConfig(Three(sync: 5), tickMs: 2000);
        Assert.False(new RemoteSettings(config.WithFallback(AkkaRemoteDefaults)).UsePassiveConnections);
        // Akka's own default is on: the line in RemoteConfig is what turns them off.
        Assert.True(new RemoteSettings(AkkaRemoteDefaults).UsePassiveConnections);
    }

    [Fact]
    public void The_transport_timing_is_the_one_the_restarted_peer_specs_run_with_for_a_1500_ms_sync_limit()
    {
        var config = EnsembleBoot.RemoteConfig(Three(sync: 3), tickMs: 500);
        Assert.Equal(TimeSpan.FromSeconds(1), config.GetTimeSpan("akka.remote.transport-failure-detector.heartbeat-interval"));
        Assert.Equal(TimeSpan.FromMilliseconds(3000), config.GetTimeSpan("akka.remote.transport-failure-detector.acceptable-heartbeat-pause"));
        Assert.Equal(TimeSpan.FromMilliseconds(3000), config.GetTimeSpan("akka.remote.handshake-timeout"));
        Assert.Equal(TimeSpan.FromMilliseconds(200), config.GetTimeSpan("akka.remote.retry-gate-closed-for"));
    }
}
