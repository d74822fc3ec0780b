using System.Runtime.Serialization;
using Akka.Actor;
using Akka.Configuration;
using Coord.Actors.Ensemble;
using Coord.Actors.Replication;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>
/// Several peer messages in one Akka.Remote message (<see cref="PeerBatch"/>, manifest "bt"): every message type but a
/// snapshot chunk round-trips in order, the layout is frozen by golden bytes, and damaged or hostile bytes are a
/// <see cref="SerializationException"/>.
/// </summary>
public sealed class PeerBatchSpecs
{
    private static List<PeerMessage> EveryBatchableMessage() =>
        [.. PeerSerializerSpecs.EveryMessage().Select(row => ((PeerEnvelope)row[1]).Message).Where(m => m is not SnapChunk)];

    [Fact]
    public async Task A_batch_of_every_message_type_but_a_chunk_crosses_akkas_serialization_in_order()
    {
        var batch = new PeerBatch(2, EveryBatchableMessage());
        Assert.Equal(PeerCodec.Manifests.Count - 1, batch.Messages.Select(PeerCodec.Manifest).Distinct().Count());
        var system = ActorSystem.Create("peer-batch", PeerSerialization.WithPeerSerializer(ConfigurationFactory.Empty));
        try
        {
            var serializer = Assert.IsType<PeerSerializer>(system.Serialization.FindSerializerFor(batch));
            string manifest = Akka.Serialization.Serialization.ManifestFor(serializer, batch);
            Assert.Equal(PeerCodec.BatchManifest, manifest);
            var back = Assert.IsType<PeerBatch>(system.Serialization.Deserialize(serializer.ToBinary(batch), serializer.Identifier, manifest));
            Assert.Equal(2, back.From);
            Assert.Equal(batch.Messages.Count, back.Messages.Count);
            for (int i = 0; i < batch.Messages.Count; i++) PeerSerializerSpecs.AssertSame(batch.Messages[i], back.Messages[i], $"message {i}");
        }
        finally
        {
            await system.Terminate();
        }
    }

    [Fact]
    public void Encodes_to_frozen_bytes()
    {
        var batch = new PeerBatch(3, [new Ack(7, 9, 0x1_0000_0005), new Commit(7, 10, 0x1_0000_0005)]);
        const string hex = "0000000000000003 00000002" +
                           "00000002 616B 00000018 0000000000000007 0000000000000009 0000000100000005" +
                           "00000002 636D 00000018 0000000000000007 000000000000000A 0000000100000005";
        Assert.Equal(hex.Replace(" ", ""), Convert.ToHexString(PeerCodec.BatchToBytes(batch)));
    }

    [Fact]
    public void Every_truncation_and_any_trailing_byte_is_an_error()
    {
        var bytes = PeerCodec.BatchToBytes(new PeerBatch(1, EveryBatchableMessage()));
        for (int n = 0; n < bytes.Length; n += Math.Max(1, bytes.Length / 400))
        {
            var prefix = bytes[..n];
            Assert.True(PeerSerializerSpecs.Throws(() => PeerCodec.BatchFromBytes(prefix)), $"a {n}-byte prefix of {bytes.Length} decoded");
        }
        Assert.True(PeerSerializerSpecs.Throws(() => PeerCodec.BatchFromBytes([.. bytes, 0])), "a trailing byte was accepted");
    }

    [Fact]
    public void Hostile_counts_foreign_manifests_and_chunks_are_refused()
    {
        foreach (string count in new[] { "7FFFFFFF", "00000000", "FFFFFFFF" })
            Assert.Throws<SerializationException>(() => PeerCodec.BatchFromBytes(Convert.FromHexString("0000000000000001" + count + new string('0', 64))));
        // A chunk, a batch and an unknown name inside a batch: the body is a well-formed ack's.
        foreach (string name in new[] { "7363", "6274", "7A7A" })
        {
            var inner = Convert.FromHexString("0000000000000001 00000001 00000002".Replace(" ", "") + name + "00000018" + new string('0', 48));
            Assert.Contains("does not carry", Assert.Throws<SerializationException>(() => PeerCodec.BatchFromBytes(inner)).Message);
        }
        // A body whose length does not match its message.
        var ackTooLong = Convert.FromHexString("0000000000000001 00000001 00000002 616B 00000019".Replace(" ", "") + new string('0', 50));
        Assert.Throws<SerializationException>(() => PeerCodec.BatchFromBytes(ackTooLong));

        var chunk = new SnapChunk(7, 2, 0x1_0000_0000, 0, 1, new byte[] { 1 });
        Assert.Throws<SerializationException>(() => PeerCodec.BatchToBytes(new PeerBatch(1, [new Ack(7, 1, 1), chunk])));
        Assert.Throws<SerializationException>(() => PeerCodec.BatchToBytes(new PeerBatch(1, [])));
    }
}
