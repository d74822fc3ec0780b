using Coord.Akka.Lease;

namespace Coord.Akka.Specs.Lease;

/// <summary>The holder's timing rule without a server: trust ends a safe fraction of the timeout after the newest
/// confirmation was sent, always before the earliest moment the server could expire the session.</summary>
public sealed class LeaseWindowSpecs
{
    [Fact]
    public void Trust_ends_a_safe_fraction_of_the_timeout_after_the_confirmation_was_sent()
    {
        var window = new LeaseWindow(ConfirmedSentAtMs: 1000, SessionTimeoutMs: 10_000, SafeFraction: 0.5);
        Assert.Equal(6000, window.DeadlineMs);
        Assert.Equal(11_000, window.EarliestExpiryMs);
        Assert.True(window.IsValidAt(5999));
        Assert.False(window.IsValidAt(6000));
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    public void The_deadline_is_always_before_the_earliest_server_expiry(double fraction)
    {
        for (long timeout = 1000; timeout <= 40_000; timeout += 1000)
        {
            var window = new LeaseWindow(123, timeout, fraction);
            Assert.True(window.DeadlineMs < window.EarliestExpiryMs, $"timeout {timeout} fraction {fraction}");
        }
    }

    [Fact]
    public void A_confirmation_moves_the_window_forward_never_back()
    {
        var window = new LeaseWindow(1000, 4000, 0.5);
        Assert.Equal(5000, window.Confirmed(3000).DeadlineMs);
        Assert.Equal(3000, window.Confirmed(500).DeadlineMs); // a late reply to an older request changes nothing
    }

    [Fact]
    public void The_heartbeat_is_capped_at_a_quarter_of_the_session_timeout()
    {
        Assert.Equal(500, LeaseWindow.HeartbeatMs(configuredMs: 12_000, sessionTimeoutMs: 2000));
        Assert.Equal(250, LeaseWindow.HeartbeatMs(configuredMs: 250, sessionTimeoutMs: 2000));
    }
}
