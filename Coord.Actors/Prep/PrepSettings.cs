using Coord.Protocol;

namespace Coord.Actors.Prep;

/// <summary>Prep's settings. TTL creates are allowed only with <see cref="ExtendedTypesEnabled"/> (else UNIMPLEMENTED).</summary>
public sealed record PrepSettings(bool ExtendedTypesEnabled);

/// <summary>Who is asking: the session and the ids its connection has authenticated (incl. ip and super ids).</summary>
public sealed record SessionContext(long SessionId, IReadOnlyList<Id> AuthIds)
{
    public override string ToString() => $"session 0x{SessionId:x} ids=[{string.Join(",", AuthIds)}]";
}
