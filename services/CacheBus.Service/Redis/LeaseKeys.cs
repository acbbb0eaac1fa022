namespace CacheBus.Service.Redis;

/// <summary>
/// The key of a cache key's lease, as <c>cachebus_django.cache.LeaseRedisCache</c> writes it (its
/// <c>lease_key</c> is the other half of this rule; both test the same vectors). The lease must hash to its key's
/// slot on Redis Cluster, because the backend's fill script names both: a key without braces is wrapped as the hash
/// tag, a key with a hash tag of its own keeps it behind the prefix. A key with braces but no valid tag (<c>a{}b</c>,
/// <c>a}b</c>) gets the prefix only, and on a cluster its lease may live in another slot.
/// </summary>
internal static class LeaseKeys
{
    public const string Prefix = "cachebus:lease:";

    public static string For(string key) =>
        key.AsSpan().IndexOfAny('{', '}') < 0 ? $"{Prefix}{{{key}}}" : Prefix + key;
}
