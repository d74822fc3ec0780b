namespace Coord.Actors.Sequencer;

/// <summary>What the sequencer needs from the settings; the host maps the configuration onto it.</summary>
public sealed record SequencerOptions
{
    public int ServerId { get; init; } = 1;
    public int TickMs { get; init; } = 2000;
    public int SessionTimeoutMsMin { get; init; } = 4000;
    public int SessionTimeoutMsMax { get; init; } = 40000;
    public int SessionsMax { get; init; } = 60000;
    public bool ExtendedTypesEnabled { get; init; }
    public string? SuperDigest { get; init; }
    public bool ExistsRequiresRead { get; init; } = true;
    public int ContainerCheckIntervalMs { get; init; } = 60000;
    public int ContainerMaxPerMinute { get; init; } = 10000;
    public int SnapshotEveryTxns { get; init; } = 100_000;
    public long SnapshotEveryBytes { get; init; } = 64L << 20;
    public int SnapshotMinTxnsPerNode { get; init; } = 1;
    public int SnapshotRetain { get; init; } = 3;
}
