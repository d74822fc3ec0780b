using Akka.Actor;
using Coord.Akka.Proxy;

namespace Coord.Akka;

/// <summary>
/// The ActorSystem's shared Coord client actor (an Akka extension): <c>CoordAkka.Get(system).Client</c> is a
/// <see cref="CoordClientActor"/> started on first use from the <c>coord.akka</c> config, as the system actor
/// <c>/system/coord-client</c>; it closes its session when the system terminates. Start more with
/// <see cref="CoordClientActor.Props"/> when parts of an application need sessions of their own.
/// </summary>
public sealed class CoordAkka : IExtension
{
    /// <summary>Created by <see cref="Get"/>.</summary>
    /// <param name="system">The ActorSystem.</param>
    public CoordAkka(ExtendedActorSystem system)
    {
        ArgumentNullException.ThrowIfNull(system);
        Settings = CoordAkkaSettings.Create(system);
        Client = system.SystemActorOf(CoordClientActor.Props(Settings), "coord-client");
    }

    /// <summary>The extension of <paramref name="system"/>.</summary>
    /// <param name="system">The ActorSystem.</param>
    public static CoordAkka Get(ActorSystem system) => system.WithExtension<CoordAkka, CoordAkkaProvider>();

    /// <summary>The parsed <c>coord.akka</c> section.</summary>
    public CoordAkkaSettings Settings { get; }

    /// <summary>The shared client actor.</summary>
    public IActorRef Client { get; }
}

/// <summary>Akka extension id of <see cref="CoordAkka"/>.</summary>
public sealed class CoordAkkaProvider : ExtensionIdProvider<CoordAkka>
{
    /// <inheritdoc />
    public override CoordAkka CreateExtension(ExtendedActorSystem system) => new(system);
}
