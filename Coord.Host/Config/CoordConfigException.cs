namespace Coord.Host.Config;

/// <summary>The configuration cannot be used; <see cref="Errors"/> lists every problem found, not just the first.</summary>
public sealed class CoordConfigException(IReadOnlyList<string> errors)
    : Exception("invalid Coord configuration:" + Environment.NewLine + string.Join(Environment.NewLine, errors.Select(e => "  - " + e)))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}
