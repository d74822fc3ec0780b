using Akka.Configuration;

namespace Coord.Actors.Ensemble;

/// <summary>
/// The Akka settings that make peer messages travel through <see cref="PeerSerializer"/>. Akka reads serializers
/// when an ActorSystem starts, so they go into the config it is created with (<see cref="WithPeerSerializer"/>),
/// not into a fallback injected afterwards.
/// </summary>
public static class PeerSerialization
{
    public const string SerializerName = "coord-peer";

    public static Config Config { get; } = ConfigurationFactory.ParseString($$"""
        akka.actor {
          serializers {
            {{SerializerName}} = "{{typeof(PeerSerializer).FullName}}, {{typeof(PeerSerializer).Assembly.GetName().Name}}"
          }
          serialization-bindings {
            "{{typeof(PeerEnvelope).FullName}}, {{typeof(PeerEnvelope).Assembly.GetName().Name}}" = {{SerializerName}}
            "{{typeof(PeerBatch).FullName}}, {{typeof(PeerBatch).Assembly.GetName().Name}}" = {{SerializerName}}
          }
        }
        """);

    /// <summary><paramref name="config"/> with the peer serializer bound (the given settings win where both speak).</summary>
    public static Config WithPeerSerializer(Config config) => config.WithFallback(Config);
}
