namespace Coord.Interop.Specs.Harness;

/// <summary>
/// Bounded polling, only for conditions that raise no event (a port starting to answer). Everything
/// else waits on the event itself with a timeout.
/// </summary>
public static class Poll
{
    public static async Task<T> UntilAsync<T>(Func<Task<T?>> attempt, TimeSpan timeout, Func<string> describeFailure,
        Task? abortWhenCompleted = null, TimeSpan? interval = null)
        where T : class
    {
        var deadline = DateTime.UtcNow + timeout;
        Exception? last = null;
        while (true)
        {
            if (abortWhenCompleted is { IsCompleted: true })
            {
                throw new InvalidOperationException($"gave up: the process ended. {describeFailure()}", last);
            }

            try
            {
                if (await attempt() is { } result)
                {
                    return result;
                }
            }
            catch (Exception e)
            {
                last = e;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new TimeoutException(
                    $"not ready after {timeout.TotalSeconds:0.#} s (last error: {last?.Message ?? "none"}). {describeFailure()}", last);
            }

            var pause = Task.Delay(interval ?? TimeSpan.FromMilliseconds(100));
            await (abortWhenCompleted is null ? pause : Task.WhenAny(pause, abortWhenCompleted));
        }
    }
}
