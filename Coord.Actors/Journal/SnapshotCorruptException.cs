namespace Coord.Actors.Journal;

/// <summary>
/// A snapshot that cannot be trusted: truncated, wrong magic or version, checksum mismatch, malformed
/// fields, or contents that cannot form a tree. The only exception <see cref="SnapshotFormat"/>'s readers throw
/// for bad input, so a store can skip the file and fall back to an older one.
/// </summary>
public sealed class SnapshotCorruptException(string message, Exception? inner = null) : Exception(message, inner);
