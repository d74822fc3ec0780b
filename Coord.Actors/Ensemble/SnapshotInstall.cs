using Coord.Actors.Journal;
using Coord.Actors.Tree;
using Microsoft.Extensions.Logging;

namespace Coord.Actors.Ensemble;

/// <summary>A learner takes the leader's snapshot (SNAP): stored as its only snapshot, journal reset to its zxid (crash-safe, see Recovery).</summary>
internal static class SnapshotInstall
{
    public static async Task<DataTree> InstallAsync(SnapshotStore store, IJournal journal, byte[] bytes, ILogger log) =>
        (await Recovery.InstallSnapshotAsync(store, journal, bytes, log)).Tree;
}
