namespace CacheBus.Service.Memcached;

/// <summary>Turns TTLs into memcached's expiration tokens and back.</summary>
internal static class MemcachedExpiration
{
    /// <summary>memcached's convention, kept: a zero TTL stores an item that never expires.</summary>
    public static readonly TimeSpan Never = TimeSpan.Zero;

    // memcached reads an expiration above 30 days as an absolute Unix time, so "T3000000" would store an item that
    // expired in 1970, i.e. at once. Django converts long timeouts the same way.
    private const long RelativeLimitSeconds = 30 * 24 * 60 * 60;

    public static long ToToken(TimeSpan ttl, TimeProvider time)
    {
        if (ttl < TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(ttl), ttl, "A TTL must not be negative (zero means never expires; to remove an item, delete it).");
        }

        // Rounded up: a sub-second TTL must not become 0, which would mean "never expires".
        var seconds = (long)Math.Ceiling(ttl.TotalSeconds);
        return seconds <= RelativeLimitSeconds ? seconds : time.GetUtcNow().ToUnixTimeSeconds() + seconds;
    }

    /// <summary>The <c>t</c> flag of a response: -1 for an item that never expires.</summary>
    public static TimeSpan? FromRemaining(long? seconds) =>
        seconds is null or < 0 ? null : TimeSpan.FromSeconds(seconds.Value);
}
