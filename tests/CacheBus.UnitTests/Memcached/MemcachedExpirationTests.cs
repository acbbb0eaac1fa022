using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

public sealed class MemcachedExpirationTests
{
    private static readonly FixedTime Now = new(DateTimeOffset.FromUnixTimeSeconds(1_700_000_000));

    [Fact]
    public void ToToken_Zero_NeverExpires()
    {
        Assert.Equal(0, MemcachedExpiration.ToToken(MemcachedExpiration.Never, Now));
    }

    [Fact]
    public void ToToken_Seconds_AreRelative()
    {
        Assert.Equal(1_209_600, MemcachedExpiration.ToToken(TimeSpan.FromDays(14), Now));
    }

    [Fact]
    public void ToToken_SubSecond_RoundsUpRatherThanBecomingNever()
    {
        Assert.Equal(1, MemcachedExpiration.ToToken(TimeSpan.FromMilliseconds(1), Now));
    }

    [Fact]
    public void ToToken_ThirtyDays_IsStillRelative()
    {
        Assert.Equal(2_592_000, MemcachedExpiration.ToToken(TimeSpan.FromDays(30), Now));
    }

    [Fact]
    public void ToToken_OverThirtyDays_BecomesAnAbsoluteUnixTime()
    {
        Assert.Equal(1_700_000_000 + 2_592_001, MemcachedExpiration.ToToken(TimeSpan.FromSeconds(2_592_001), Now));
    }

    [Fact]
    public void ToToken_Negative_Throws()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => MemcachedExpiration.ToToken(TimeSpan.FromSeconds(-1), Now));
    }

    [Theory]
    [InlineData(null, null)]
    [InlineData(-1L, null)]
    [InlineData(0L, 0)]
    [InlineData(90L, 90)]
    public void FromRemaining_MinusOne_MeansNeverExpires(long? remaining, int? expectedSeconds)
    {
        Assert.Equal(expectedSeconds is { } s ? TimeSpan.FromSeconds(s) : null, MemcachedExpiration.FromRemaining(remaining));
    }

    private sealed class FixedTime(DateTimeOffset now) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => now;
    }
}
