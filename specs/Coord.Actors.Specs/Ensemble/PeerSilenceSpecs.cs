using Coord.Actors.Ensemble;

namespace Coord.Actors.Specs.Ensemble;

/// <summary>Which members a replication actor resets the link to: sent to, and unheard for the silence limit.</summary>
public sealed class PeerSilenceSpecs
{
    [Fact]
    public void A_member_sent_to_and_unheard_is_due_once_its_first_unanswered_send_is_a_limit_old()
    {
        var s = new PeerSilence(1000);
        s.Sent(2, 100);
        s.Sent(2, 900); // a later send does not move the start of the silence
        Assert.Empty(s.TakeDue(1099));
        Assert.Equal([(2L, 1000L)], s.TakeDue(1100));
        Assert.Empty(s.TakeDue(5000)); // cleared: due again only one limit after the next send
        s.Sent(2, 5000);
        s.Sent(2, 5800);
        Assert.Empty(s.TakeDue(5999));
        Assert.Equal([(2L, 1000L)], s.TakeDue(6000));
    }

    [Fact]
    public void A_member_sent_to_once_and_then_left_alone_is_forgotten_not_reset()
    {
        var s = new PeerSilence(1000);
        s.Sent(2, 0); // a reply to a looking member's vote, say; it follows the leader afterwards and never writes here
        Assert.Empty(s.TakeDue(1000)); // its latest send is a whole limit old: the conversation ended
        s.Sent(2, 3000);
        s.Sent(2, 3900);
        Assert.Equal([(2L, 1000L)], s.TakeDue(4000)); // tracked afresh from the next send
    }

    [Fact]
    public void Hearing_from_a_member_clears_it_and_members_are_judged_apart()
    {
        var s = new PeerSilence(1000);
        s.Sent(2, 0);
        s.Sent(3, 0);
        s.Sent(3, 1200);
        s.Heard(2);
        Assert.Equal([(3L, 1500L)], s.TakeDue(1500));
        s.Heard(4); // never sent to: nothing to clear
        Assert.Empty(s.TakeDue(10_000));
    }

    [Fact]
    public void A_limit_must_be_positive() => Assert.Throws<ArgumentOutOfRangeException>(() => new PeerSilence(0));
}
