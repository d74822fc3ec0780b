using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>A learner takes the leader's snapshot (SNAP): stored as its newest snapshot, journal reset to its zxid.</summary>
internal static class SnapshotInstall
{
    public static Task<DataTree> InstallAsync(SnapshotStore store, IJournal journal, byte[] bytes, ILogger log) =>
        throw new NotSupportedException("snapshot install lands with IJournal.ResetToAsync");
}
