namespace Coord.Actors.Core;

/// <summary>
/// Asserts that the actors sharing the tree never run at once (the core dispatcher runs them in turn). A
/// mis-configured dispatcher would otherwise turn into data races on the tree; this turns it into a loud stop.
/// </summary>
public sealed class CoreThreadGuard
{
    private int _inside;

    /// <summary>Marks the start of a handler; throws if another core actor is inside one.</summary>
    public void Enter(string who)
    {
        if (Interlocked.Exchange(ref _inside, 1) != 0)
            throw new InvalidOperationException(
                $"the {who} ran while another core actor was running: '{CoreConfig.CoreDispatcherId}' must run its actors one at a time");
    }

    public void Exit() => Volatile.Write(ref _inside, 0);
}
