namespace Coord.Fuzz;

/// <summary>
/// A fuzz target's property is broken: a decoder threw something other than its documented bad-input exception,
/// allocated far past its input, or decoded a value that does not survive re-encoding. Thrown out of the target, so
/// afl-fuzz records the input as a crash and the replay spec fails on it.
/// </summary>
public sealed class FuzzFinding(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Bounds every target checks, in one place.</summary>
public static class FuzzBounds
{
    /// <summary>
    /// What decoding <paramref name="inputBytes"/> may allocate: records copy at most the input, plus object overhead
    /// per field or element (an element is at least 4 input bytes), plus slack for exception objects and first-use
    /// statics. A length or count taken from the input without a check allocates megabytes and fails this.
    /// </summary>
    public static long AllocationBytesMax(int inputBytes) => 64L * inputBytes + 16 * 1024;

    public static void CheckAllocation(long allocated, int inputBytes, string what)
    {
        if (allocated > AllocationBytesMax(inputBytes))
            throw new FuzzFinding($"{what}: decoding {inputBytes} bytes allocated {allocated} bytes (bound {AllocationBytesMax(inputBytes)})");
    }
}
