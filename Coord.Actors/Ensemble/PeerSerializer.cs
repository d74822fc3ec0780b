using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Serialization;

namespace Coord.Actors.Ensemble;

/// <summary>
/// Akka's serializer for <see cref="PeerEnvelope"/>: the binary <see cref="PeerCodec"/> instead of Akka's default
/// JSON, so a proposal's txns cross the wire in the journal's encoding, once per batch. Bound by
/// <see cref="PeerSerialization.Config"/>. Anything it cannot encode (another type, an unknown payload) is a
/// <see cref="SerializationException"/> naming the type; Akka.Remote then drops that message, which the link's
/// sequence numbers turn into a re-sync.
/// </summary>
public sealed class PeerSerializer(ExtendedActorSystem system) : SerializerWithStringManifest(system)
{
    /// <summary>4711: outside the 0–40 Akka reserves (its own modules use 1–36); any id unused in the system would do, but both ends must agree.</summary>
    public const int Id = 4711;

    public override int Identifier => Id;

    public override string Manifest(object o) => o switch
    {
        PeerEnvelope e => PeerCodec.Manifest(e.Message),
        PeerBatch => PeerCodec.BatchManifest,
        _ => throw NotAPeerEnvelope(o),
    };

    public override byte[] ToBinary(object obj) => obj switch
    {
        PeerEnvelope e => PeerCodec.ToBytes(e),
        PeerBatch b => PeerCodec.BatchToBytes(b),
        _ => throw NotAPeerEnvelope(obj),
    };

    public override object FromBinary(byte[] bytes, string manifest) =>
        manifest == PeerCodec.BatchManifest ? PeerCodec.BatchFromBytes(bytes) : PeerCodec.FromBytes(bytes, manifest);

    private static SerializationException NotAPeerEnvelope(object? o) =>
        new($"{nameof(PeerSerializer)} encodes only {nameof(PeerEnvelope)} and {nameof(PeerBatch)}, not {o?.GetType().FullName ?? "null"}");
}
