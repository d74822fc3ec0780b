using System.Net;

namespace Coord.Bench;

/// <summary>
/// What --compare runs against and watches: one server (<see cref="ServerProcess"/>) or the members of an ensemble
/// (<see cref="Ensemble"/>). CPU and RSS are summed over <see cref="Pids"/>; clients spread over <see cref="EndPoints"/>.
/// </summary>
public interface IServerSet : IAsyncDisposable
{
    /// <summary>"zookeeper" or "coord".</summary>
    string Name { get; }

    IReadOnlyList<IPEndPoint> EndPoints { get; }
    IReadOnlyList<int> Pids { get; }

    /// <summary>Milliseconds from the (first) process start until it served a session (an ensemble: until every member did).</summary>
    double StartToServingMs { get; }

    /// <summary>Null while every process runs; otherwise which ended and how.</summary>
    string? ExitNote();

    /// <summary>After a failed run: waits up to <paramref name="wait"/> for a process to end, then <see cref="ExitNote"/>.</summary>
    Task<string?> ExitNoteAsync(TimeSpan wait);

    /// <summary>The last output lines of every process.</summary>
    string Tail();
}
