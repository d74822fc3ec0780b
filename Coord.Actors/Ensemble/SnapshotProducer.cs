using Akka.Actor;
using Coord.Actors.Journal;
using Coord.Actors.Tree;

namespace Coord.Actors.Ensemble;

/// <summary>The producer's first word: the snapshot of <see cref="Member"/>'s link has <see cref="Count"/> chunks.</summary>
public sealed record SnapshotStreamStarted(SnapshotProducer Producer, long Zxid, long Bytes, int Count);

/// <summary>Chunk <see cref="Index"/> of the producer's snapshot, cut and ready to send.</summary>
public sealed record SnapshotChunkMade(SnapshotProducer Producer, int Index, byte[] Chunk);

/// <summary>The producer failed (a bug in serialization: it wrote other than it announced).</summary>
public sealed record SnapshotStreamFailed(SnapshotProducer Producer, Exception Error);

/// <summary>
/// A leader's side of SNAP for one learner link: serializes a captured tree image (<see cref="SnapshotFormat.Write"/>)
/// on a background thread straight into chunks of the configured size, telling each to the replication actor as it is
/// cut, so the first chunk leaves as soon as the image is sorted rather than after the whole snapshot is serialized, and
/// the leader never holds the whole serialized snapshot. Backpressure: at most <c>aheadMax</c> chunks are cut and not
/// yet sent (the actor calls <see cref="Sent"/> for each chunk the core sends, which it does within its window of
/// unacknowledged ones); the serializer waits meanwhile. <see cref="Cancel"/> stops it (the link was dropped).
/// </summary>
public sealed class SnapshotProducer
{
    private readonly SemaphoreSlim _ahead;
    private readonly CancellationTokenSource _cancel = new();

    private SnapshotProducer(long member, long linkId, int aheadMax)
    {
        Member = member;
        LinkId = linkId;
        _ahead = new SemaphoreSlim(aheadMax);
    }

    public long Member { get; }
    public long LinkId { get; }

    public static SnapshotProducer Start(TreeImage image, long member, long linkId, int chunkBytes, int aheadMax, IActorRef replyTo)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBytes, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(aheadMax, 1);
        var p = new SnapshotProducer(member, linkId, aheadMax);
        BackgroundThread.Run("coord-snap-serialize", () =>
        {
            try
            {
                var stream = new ChunkStream(chunkBytes, (index, chunk) =>
                {
                    p._ahead.Wait(p._cancel.Token);
                    replyTo.Tell(new SnapshotChunkMade(p, index, chunk));
                });
                SnapshotFormat.Write(image, stream, total =>
                {
                    stream.Expect(total);
                    replyTo.Tell(new SnapshotStreamStarted(p, image.LastZxid, total, stream.Count));
                });
                stream.Finish();
            }
            catch (OperationCanceledException) { }
            catch (Exception e) { replyTo.Tell(new SnapshotStreamFailed(p, e)); }
            return 0;
        });
        return p;
    }

    /// <summary>One of this producer's chunks left the core: one more may be cut.</summary>
    public void Sent() => _ahead.Release();

    public void Cancel() => _cancel.Cancel();

    /// <summary>
    /// A write-only stream that cuts what is written into exact-size chunks (the last one shorter) of a total announced
    /// up front: each is a fresh array handed over once full, so nothing is copied again on the way to the codec.
    /// </summary>
    internal sealed class ChunkStream(int chunkBytes, Action<int, byte[]> emit) : Stream
    {
        private long _total = -1;
        private long _written;
        private byte[]? _chunk;
        private int _filled;
        private int _index;

        public int Count { get; private set; }

        public void Expect(long total)
        {
            if (total < 1) throw new InvalidOperationException($"a snapshot of {total} bytes");
            long count = (total + chunkBytes - 1) / chunkBytes;
            if (count > int.MaxValue) throw new InvalidOperationException($"a snapshot of {total} bytes is more than {int.MaxValue} chunks");
            _total = total;
            Count = (int)count;
        }

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            if (_total < 0) throw new InvalidOperationException("the snapshot's size was not announced before its bytes");
            if (_written + buffer.Length > _total) throw new InvalidOperationException($"the serializer wrote past the {_total} bytes it announced");
            while (!buffer.IsEmpty)
            {
                _chunk ??= new byte[(int)Math.Min(chunkBytes, _total - _written)];
                int take = Math.Min(buffer.Length, _chunk.Length - _filled);
                buffer[..take].CopyTo(_chunk.AsSpan(_filled));
                buffer = buffer[take..];
                _filled += take;
                _written += take;
                if (_filled < _chunk.Length) continue;
                var full = _chunk;
                _chunk = null;
                _filled = 0;
                emit(_index++, full);
            }
        }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        /// <summary>Every announced byte was written (so every chunk was handed over).</summary>
        public void Finish()
        {
            if (_written != _total || _index != Count)
                throw new InvalidOperationException($"the serializer wrote {_written} of the {_total} bytes it announced");
        }

        public override bool CanRead => false;
        public override bool CanSeek => false;
        public override bool CanWrite => true;
        public override long Length => _written;
        public override long Position { get => _written; set => throw new NotSupportedException(); }
        public override void Flush() { }
        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
