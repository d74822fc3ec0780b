namespace Coord.Actors.Ensemble;

/// <summary>
/// How a member resets its transport link to another member that stays silent while it keeps sending to it:
/// <see cref="Reset"/> drops every Akka.Remote association to that member's address without quarantining anyone
/// (Coord.Host: <c>Transport.Quarantine(address, null)</c>), after <see cref="SilentMs"/> of sending unanswered.
/// </summary>
/// <remarks>
/// Why: classic Akka.Remote can leave a link to a restarted member deaf in one direction for good, with heartbeats
/// flowing and nothing logged (specs/Coord.Actors.Specs/Ensemble/RestartedPeerLinkSpecs.cs has the sequence). Its
/// passive read handoff makes the restarted member stop reading the connection the other side writes on, and the
/// connection it reads instead is one nobody writes on. Dropping the associations ends both; the next send makes
/// fresh ones. A reset costs nothing but a reconnect, so a slow or dead peer being reset is harmless.
/// </remarks>
public sealed record PeerLinkReset(long SilentMs, Action<long> Reset);

/// <summary>
/// Which members this one keeps sending to without hearing anything back for at least the silence limit: a member
/// is due once its first send since the last message heard from it is that old and its latest send is recent (within
/// half the limit). A member sent to once or twice and then left alone is no deaf link, only a conversation that
/// ended (a follower answering a looking member's vote, which then follows the leader and never writes to it again):
/// it is forgotten, not reset. Being due clears the member, so a member still silent is due again one limit after
/// the next send.
/// </summary>
public sealed class PeerSilence(long silentMs)
{
    private readonly Dictionary<long, (long SinceMs, long LastMs)> _unanswered = new();

    public long SilentMs { get; } = silentMs > 0 ? silentMs : throw new ArgumentOutOfRangeException(nameof(silentMs));

    /// <summary>A message went to <paramref name="member"/>.</summary>
    public void Sent(long member, long nowMs) =>
        _unanswered[member] = _unanswered.TryGetValue(member, out var u) ? (u.SinceMs, nowMs) : (nowMs, nowMs);

    /// <summary>A message came from <paramref name="member"/>: the link to it carries traffic both ways.</summary>
    public void Heard(long member) => _unanswered.Remove(member);

    /// <summary>The members sent to and unheard for the limit, each with how long; each is cleared.</summary>
    public IReadOnlyList<(long Member, long SilentForMs)> TakeDue(long nowMs)
    {
        List<(long, long)>? due = null;
        List<long>? ended = null;
        foreach (var (member, (since, last)) in _unanswered)
        {
            if (nowMs - since < SilentMs) continue;
            if (nowMs - last <= SilentMs / 2) (due ??= []).Add((member, nowMs - since));
            else (ended ??= []).Add(member);
        }
        foreach (long member in ended ?? []) _unanswered.Remove(member);
        if (due is null) return [];
        foreach (var (member, _) in due) _unanswered.Remove(member);
        return due;
    }
}
