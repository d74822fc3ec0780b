using Coord.Actors.Journal;

namespace Coord.Actors.Specs.Journal;

public sealed class Crc32CSpecs
{
    [Fact]
    public void Matches_the_Castagnoli_check_value() => Assert.Equal(0xE3069283u, Crc32C.Compute("123456789"u8));

    [Fact]
    public void Matches_the_iSCSI_test_vectors()
    {
        // RFC 3720 B.4: 32 bytes of zeros and 32 bytes of 0xFF.
        Assert.Equal(0x8A9136AAu, Crc32C.Compute(new byte[32]));
        Assert.Equal(0x62A8AB43u, Crc32C.Compute(Enumerable.Repeat((byte)0xFF, 32).ToArray()));
    }

    [Fact]
    public void Incremental_updates_equal_one_pass()
    {
        var data = "the quick brown fox"u8.ToArray();
        Assert.Equal(Crc32C.Compute(data), Crc32C.Append(Crc32C.Compute(data.AsSpan(0, 7)), data.AsSpan(7)));
    }

    [Fact]
    public void The_row_checksum_covers_zxid_and_type_as_well_as_the_payload()
    {
        byte[] payload = [1, 2, 3];
        uint crc = JournalRecord.Checksum(5, 1, payload);
        Assert.NotEqual(crc, JournalRecord.Checksum(6, 1, payload));
        Assert.NotEqual(crc, JournalRecord.Checksum(5, 2, payload));
        Assert.NotEqual(crc, JournalRecord.Checksum(5, 1, [1, 2, 4]));
    }
}
