using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies invalidations to Redis: deletes keys, empties tags, bumps namespace generations. Every command is sent
/// before any is awaited (one pipeline). Keys go many to an UNLINK:
/// one command for a batch's keys costs Redis and the client far less than one command per key. With leases on, every
/// key deleted and namespace bumped loses its lease in the same pipeline (<see cref="LeaseKeys"/>).
/// </summary>
internal sealed class RedisInvalidator(IConnectionMultiplexer redis, IOptions<RedisOptions> options)
{
    private readonly bool _leases = options.Value.Leases;

    // Members and set go in one script so no reader sees half a tag. Members are unlinked in chunks (UNLINK frees
    // memory off the main thread); the app bounds a tag's size. Not for Redis Cluster: members may live elsewhere.
    private static readonly LuaScript EmptyTag = LuaScript.Prepare("""
        local members = redis.call('SMEMBERS', @tag)
        for i = 1, #members, 500 do
          redis.call('UNLINK', unpack(members, i, math.min(i + 499, #members)))
        end
        redis.call('UNLINK', @tag)
        return #members
        """);

    /// <summary>Deletes the keys, empties the tags and bumps the namespaces, each named once (the listener and the app send them so).</summary>
    public async Task<InvalidationCounts> ApplyAsync(IReadOnlyCollection<string> keys, IReadOnlyCollection<string> tags, IReadOnlyCollection<string> namespaces)
    {
        var database = redis.GetDatabase();
        var leases = UnlinkLeases(database, [.. keys, .. namespaces]);
        var deletes = Unlink(database, keys);
        var emptied = tags.Select(tag => database.ScriptEvaluateAsync(EmptyTag, new { tag = (RedisKey)tag })).ToList();
        var bumps = namespaces.Select(ns => database.StringIncrementAsync(ns)).ToList();
        await Task.WhenAll([.. leases, .. deletes, .. emptied, .. bumps]);
        return new InvalidationCounts(
            keys.Count,
            deletes.Sum(d => d.Result),
            tags.Count,
            emptied.Sum(t => (long)t.Result),
            namespaces.Count);
    }

    /// <summary>Deletes plain keys only (the second eviction, the flush after a lost slot); returns how many existed.</summary>
    public async Task<long> DeleteAsync(IReadOnlyCollection<string> keys)
    {
        var database = redis.GetDatabase();
        var leases = UnlinkLeases(database, keys);
        var deletes = Unlink(database, keys);
        await Task.WhenAll([.. leases, .. deletes]);
        return deletes.Sum(d => d.Result);
    }

    // Sent before the keys' own deletes (one connection: Redis runs them in that order). Were a key deleted first, a
    // reader holding its lease from before the commit could store the old row in between: the consistency probe
    // caught that. Their own commands, so the counts stay those of the cache keys (a lease is rarely there).
    private List<Task<long>> UnlinkLeases(IDatabase database, IReadOnlyCollection<string> keys) =>
        _leases && keys.Count > 0 ? Unlink(database, keys.Select(LeaseKeys.For).ToArray()) : [];

    // A cluster refuses a command whose keys live in different slots, so there the keys go one UNLINK per slot.
    private List<Task<long>> Unlink(IDatabase database, IReadOnlyCollection<string> keys)
    {
        const int maxKeysPerCommand = 1000; // bounds how long one command holds Redis's single thread
        var groups = redis.GetServers().Any(s => s.ServerType == ServerType.Cluster)
            ? keys.GroupBy(key => redis.HashSlot(key)).Select(slot => slot.ToArray())
            : [keys.ToArray()];
        return [.. groups
            .SelectMany(group => group.Chunk(maxKeysPerCommand))
            .Select(chunk => database.KeyDeleteAsync(Array.ConvertAll(chunk, key => (RedisKey)key)))];
    }
}

/// <summary>What one invalidation did: keys asked and actually present, tags emptied and their members, namespaces bumped.</summary>
internal readonly record struct InvalidationCounts(int Keys, long KeysDeleted, int Tags, long TagMembersDeleted, int Namespaces);
