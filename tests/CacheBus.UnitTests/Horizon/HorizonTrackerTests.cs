using CacheBus.Service.Horizon;

namespace CacheBus.UnitTests.Horizon;

// Deliveries finish out of order (eight consumers at once); a tick's claim holds only once all before it finished.
public sealed class HorizonTrackerTests
{
    private static readonly DateTimeOffset T1 = new(2026, 12, 7, 20, 0, 0, TimeSpan.Zero);
    private static readonly DateTimeOffset T2 = T1.AddMilliseconds(50);
    private readonly HorizonTracker _tracker = new();

    [Fact]
    public void Claim_WaitsForEveryEarlierDelivery_EvenOnesThatFinishAfterTheTick()
    {
        _tracker.Finish("c1", 2);
        _tracker.Claim("c1", 3, T1);
        _tracker.Finish("c1", 3);
        Assert.False(_tracker.Advanced.TryRead(out _)); // delivery 1 is still being applied

        _tracker.Finish("c1", 1);

        Assert.True(_tracker.Advanced.TryRead(out var horizon));
        Assert.Equal(T1, horizon);
    }

    [Fact]
    public void Claim_TheNewestHeldClaimWins_AndTheHorizonNeverMovesBack()
    {
        _tracker.Claim("c1", 1, T2);
        _tracker.Finish("c1", 1);
        _tracker.Claim("c1", 2, T1); // an older tick delivered later (a listener restarted from an older position)
        _tracker.Finish("c1", 2);

        Assert.True(_tracker.Advanced.TryRead(out var horizon));
        Assert.Equal(T2, horizon);
        Assert.False(_tracker.Advanced.TryRead(out _));
    }

    [Fact]
    public void Claim_AfterAReconnect_CountsTheNewConsumerTagFromOne()
    {
        _tracker.Claim("old", 5, T1); // never held: deliveries 1..4 of the old channel did not all finish
        _tracker.Finish("old", 5);
        _tracker.Claim("new", 2, T2);
        _tracker.Finish("new", 1);
        _tracker.Finish("new", 2);

        Assert.True(_tracker.Advanced.TryRead(out var horizon));
        Assert.Equal(T2, horizon);
    }
}
