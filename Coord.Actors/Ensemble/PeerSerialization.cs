namespace Coord.Actors.Ensemble;

/// <summary>Temporary: replaced by the binary serializer's binding.</summary>
public static class PeerSerialization
{
    public static Akka.Configuration.Config Config { get; } = Akka.Configuration.Config.Empty;
}
