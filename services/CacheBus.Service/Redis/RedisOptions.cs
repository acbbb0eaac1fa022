namespace CacheBus.Service.Redis;

/// <summary>How invalidations are applied to Redis. Bound from <c>CacheBus:Redis</c>.</summary>
public sealed class RedisOptions
{
    public const string Section = "CacheBus:Redis";

    /// <summary>Prepended to a tag's name to make the key of its set (then Django's key function, if the rule has one).</summary>
    public string TagPrefix { get; set; } = "tag:";

    /// <summary>Prepended to a namespace's name to make the key of its generation counter.</summary>
    public string NamespacePrefix { get; set; } = "ns:";

    /// <summary>
    /// Delete every evicted key once more after this delay, to undo a reader that read the old row before the commit
    /// and stored it after the first delete (the stale-set race). Zero turns the second eviction off.
    /// </summary>
    public TimeSpan SecondEvictionDelay { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Delete each evicted key's lease with it (and each bumped namespace's), so a fill by
    /// <c>cachebus_django.cache.LeaseRedisCache</c> that read the row before the commit is refused. A shop whose
    /// Django caches do not use that backend may turn it off: each UNLINK then names half as many keys.
    /// </summary>
    public bool Leases { get; set; } = true;
}
