namespace CacheBus.Service.Memcached;

/// <summary>A hit: the value, its client flags (Django: 0 bytes, 1 pickle, 2 int, 16 str), CAS, and remaining TTL (null: never expires).</summary>
internal sealed record MemcachedItem(ReadOnlyMemory<byte> Value, uint Flags, ulong Cas, TimeSpan? TimeToLive);

internal enum MemcachedSetResult
{
    Stored,
    NotStored,

    /// <summary>The CAS did not match: someone changed the item since it was read.</summary>
    Exists,

    /// <summary>A CAS was given but the item is gone.</summary>
    NotFound,
}

internal enum MemcachedDeleteResult
{
    Deleted,
    NotFound,

    /// <summary>The CAS did not match; the item was left in place.</summary>
    Exists,
}

/// <summary>What a batch did: how many distinct keys it sent, and those no node had.</summary>
internal sealed record MemcachedBatchResult(int Keys, IReadOnlyList<string> Missed);
