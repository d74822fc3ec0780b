using System.Runtime.Serialization;
using System.Text;
using Coord.Actors.Ensemble;

namespace Coord.Fuzz;

/// <summary>How one peer input ended.</summary>
public readonly record struct PeerOutcome(string Manifest, PeerEnd End, string? MessageType = null);

public enum PeerEnd
{
    /// <summary>The input is too short to name a manifest: nothing decoded.</summary>
    NoManifest,
    /// <summary>The codec refused the bytes with SerializationException: Akka.Remote drops that one message.</summary>
    Refused,
    /// <summary>Decoded, re-encoded and decoded again to an equal message.</summary>
    Decoded,
}

/// <summary>
/// The peer-message target: what <see cref="PeerSerializer.FromBinary"/> is handed by Akka.Remote for one message —
/// a manifest and the bytes — through <see cref="PeerCodec.FromBytes"/>, which reaches every manifest's layout,
/// <see cref="TxnBatchCodec"/> (proposals' txns in the journal's encoding) and <see cref="PayloadCodec"/>
/// (forwarded writes and their records by opcode).
/// <para>
/// Input layout: <c>byte m</c> (the manifest's length, at most <see cref="ManifestBytesMax"/>), <c>m</c> bytes of
/// manifest (Latin-1, so unknown manifests are reachable too), then the message bytes. Manifests are carried by name,
/// not by index, so a corpus file keeps its meaning when messages are added.
/// </para>
/// Property: every input either decodes or throws <see cref="SerializationException"/> (Akka.Remote logs and drops that
/// message and keeps the association; anything else would gate the peer's address); decoding never allocates far
/// past its input; whatever decodes re-encodes with <see cref="PeerCodec.ToBytes"/> (a member can send what it
/// accepts) to bytes that decode to an equal message under the same manifest. A batch (<see cref="PeerCodec.BatchManifest"/>)
/// goes through <see cref="PeerCodec.BatchFromBytes"/> and <see cref="PeerCodec.BatchToBytes"/> under the same property.
/// </summary>
public static class PeerTarget
{
    public const int ManifestBytesMax = 16;

    public static PeerOutcome Run(ReadOnlySpan<byte> input)
    {
        if (input.Length < 1 || input[0] > ManifestBytesMax || input.Length < 1 + input[0]) return new("", PeerEnd.NoManifest);
        string manifest = Encoding.Latin1.GetString(input.Slice(1, input[0]));
        byte[] bytes = input[(1 + input[0])..].ToArray();

        if (manifest == PeerCodec.BatchManifest) return RunBatch(bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        PeerEnvelope envelope;
        try
        {
            envelope = PeerCodec.FromBytes(bytes, manifest);
        }
        catch (SerializationException)
        {
            FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, bytes.Length, $"refused '{manifest}'");
            return new(manifest, PeerEnd.Refused);
        }
        FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, bytes.Length, $"'{manifest}'");

        string type = envelope.Message?.GetType().Name ?? "null";
        if (PeerCodec.Manifest(envelope.Message!) != manifest)
            throw new FuzzFinding($"'{manifest}' decoded to a {type}, whose manifest is '{PeerCodec.Manifest(envelope.Message!)}'");
        byte[] again;
        try { again = PeerCodec.ToBytes(envelope); }
        catch (SerializationException e) { throw new FuzzFinding($"'{manifest}' decoded to a {type} that cannot be encoded: {e.Message}", e); }
        PeerEnvelope back;
        try { back = PeerCodec.FromBytes(again, manifest); }
        catch (SerializationException e) { throw new FuzzFinding($"a re-encoded {type} does not decode: {e.Message}", e); }
        if (Structural.Difference(envelope, back, type) is { } d)
            throw new FuzzFinding($"a {type} changed through re-encoding: {d}");
        return new(manifest, PeerEnd.Decoded, type);
    }

    /// <summary>A <see cref="PeerBatch"/> (manifest "bt"): the same property, message by message in order.</summary>
    private static PeerOutcome RunBatch(byte[] bytes)
    {
        long before = GC.GetAllocatedBytesForCurrentThread();
        PeerBatch batch;
        try
        {
            batch = PeerCodec.BatchFromBytes(bytes);
        }
        catch (SerializationException)
        {
            FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, bytes.Length, "refused batch");
            return new(PeerCodec.BatchManifest, PeerEnd.Refused);
        }
        FuzzBounds.CheckAllocation(GC.GetAllocatedBytesForCurrentThread() - before, bytes.Length, "batch");
        byte[] again;
        try { again = PeerCodec.BatchToBytes(batch); }
        catch (SerializationException e) { throw new FuzzFinding($"a batch of {batch.Messages.Count} decoded but cannot be encoded: {e.Message}", e); }
        PeerBatch back;
        try { back = PeerCodec.BatchFromBytes(again); }
        catch (SerializationException e) { throw new FuzzFinding($"a re-encoded batch does not decode: {e.Message}", e); }
        if (Structural.Difference(batch, back, nameof(PeerBatch)) is { } d)
            throw new FuzzFinding($"a batch changed through re-encoding: {d}");
        return new(PeerCodec.BatchManifest, PeerEnd.Decoded, nameof(PeerBatch));
    }

    /// <summary>An input for <see cref="Run"/>: the manifest, then the message bytes.</summary>
    public static byte[] Input(string manifest, ReadOnlySpan<byte> message)
    {
        var name = Encoding.Latin1.GetBytes(manifest);
        if (name.Length > ManifestBytesMax) throw new ArgumentException($"manifest '{manifest}' is longer than {ManifestBytesMax} bytes", nameof(manifest));
        return [(byte)name.Length, .. name, .. message];
    }
}
