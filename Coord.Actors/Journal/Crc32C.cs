namespace Coord.Actors.Journal;

/// <summary>
/// CRC-32C (Castagnoli, reflected polynomial 0x82F63B78), table-driven. Written here because no
/// System.IO.Hashing package is obtainable; CRC-32C rather than CRC-32 because it detects more error
/// patterns in short records and is what storage formats (iSCSI, ext4, LevelDB) settled on.
/// Incremental use: <c>Finish(Update(Update(Seed, a), b))</c> equals <c>Compute(a ‖ b)</c>.
/// </summary>
public static class Crc32C
{
    public const uint Seed = 0xFFFFFFFFu;
    private const uint ReflectedPolynomial = 0x82F63B78u;
    private static readonly uint[] Table = BuildTable();

    public static uint Compute(ReadOnlySpan<byte> data) => Finish(Update(Seed, data));

    public static uint Update(uint state, ReadOnlySpan<byte> data)
    {
        foreach (byte b in data) state = Table[(state ^ b) & 0xFF] ^ (state >> 8);
        return state;
    }

    public static uint Finish(uint state) => ~state;

    private static uint[] BuildTable()
    {
        var table = new uint[256];
        for (uint i = 0; i < 256; i++)
        {
            uint c = i;
            for (int k = 0; k < 8; k++) c = (c & 1) != 0 ? (c >> 1) ^ ReflectedPolynomial : c >> 1;
            table[i] = c;
        }
        return table;
    }
}
