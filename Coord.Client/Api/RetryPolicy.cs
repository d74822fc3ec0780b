namespace Coord.Client;

/// <summary>
/// Bounded exponential back-off, applied only to operations that are safe to repeat after a
/// <see cref="ConnectionLossException"/>: reads, <c>sync</c>, and <c>setData</c>/<c>delete</c>/<c>setAcl</c> with an
/// explicit version (a repeated versioned write cannot apply twice). Creates, unversioned writes and
/// transactions are never retried: the caller decides, because the first attempt may have been applied.
/// </summary>
/// <param name="MaxRetries">Retries after the first attempt (0 = no retry).</param>
/// <param name="BaseDelay">Delay before the first retry; doubled for each further one.</param>
/// <param name="MaxDelay">Upper bound of one delay.</param>
public sealed record RetryPolicy(int MaxRetries, TimeSpan BaseDelay, TimeSpan MaxDelay)
{
    /// <summary>3 retries, 100 ms doubling up to 2 s.</summary>
    public static readonly RetryPolicy Default = new(3, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(2));

    /// <summary>Never retry.</summary>
    public static readonly RetryPolicy None = new(0, TimeSpan.Zero, TimeSpan.Zero);

    /// <summary>The delay before retry number <paramref name="retry"/> (0-based), with up to 20 % jitter.</summary>
    public TimeSpan DelayFor(int retry)
    {
        double ms = Math.Min(MaxDelay.TotalMilliseconds, BaseDelay.TotalMilliseconds * Math.Pow(2, Math.Min(retry, 30)));
        return TimeSpan.FromMilliseconds(ms * (0.8 + Random.Shared.NextDouble() * 0.2));
    }

    internal async Task<T> RunAsync<T>(Func<Task<T>> attempt, CancellationToken ct)
    {
        for (int retry = 0; ; retry++)
        {
            try
            {
                return await attempt().ConfigureAwait(false);
            }
            catch (ConnectionLossException) when (retry < MaxRetries && !ct.IsCancellationRequested)
            {
                await Task.Delay(DelayFor(retry), ct).ConfigureAwait(false);
            }
        }
    }
}
