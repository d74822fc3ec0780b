using Coord.Interop.Specs.Harness;

namespace Coord.Interop.Specs.Ensemble;

/// <summary>
/// The real-process fault specs run one at a time and alone: each starts three `coord serve` members and times
/// faults against the sync limit (1 s), which two busy cores shared with other ensembles would blur.
/// </summary>
[CollectionDefinition(nameof(EnsembleFaultsCollection), DisableParallelization = true)]
public sealed class EnsembleFaultsCollection;
