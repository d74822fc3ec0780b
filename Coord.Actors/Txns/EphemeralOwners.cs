namespace Coord.Actors.Txns;

/// <summary>
/// ZooKeeper's EphemeralType encoding of the ephemeralOwner field: 0 = persistent, the container marker,
/// <c>0xFF00000000000000 | ttl</c> for TTL nodes, anything else is the owning session id. Session ids never
/// equal the container marker nor carry the 0xFF top byte, so the encoding is unambiguous.
/// </summary>
public static class EphemeralOwners
{
    public const long Container = unchecked((long)0x8000000000000000UL);
    public const long TtlMarker = unchecked((long)0xFF00000000000000UL);
    /// <summary>Bits 40..55 hold the extended-type id; TTL is extended type 0.</summary>
    private const long ExtendedTypeBits = 0x00FFFF0000000000L;
    public const long TtlMax = 0x00FFFFFFFFFFL;

    public static bool IsContainer(long owner) => owner == Container;

    public static bool IsTtl(long owner) => (owner & TtlMarker) == TtlMarker && (owner & ExtendedTypeBits) == 0;

    /// <summary>True when the owner is a session (an ordinary ephemeral node).</summary>
    public static bool IsSession(long owner) => owner != 0 && !IsContainer(owner) && (owner & TtlMarker) != TtlMarker;

    public static long TtlOf(long owner) => IsTtl(owner) ? owner & TtlMax : 0;

    public static bool IsValidTtl(long ttlMs) => ttlMs > 0 && ttlMs <= TtlMax;

    public static long ForTtl(long ttlMs) =>
        IsValidTtl(ttlMs) ? TtlMarker | ttlMs : throw new ArgumentOutOfRangeException(nameof(ttlMs), ttlMs, "ttl must be in 1..2^40-1");

    /// <summary>The owner as clients see it in Stat: container and TTL markers read as 0.</summary>
    public static long Reported(long owner) => IsSession(owner) ? owner : 0;
}
