using CacheBus.Service.Rules;
using StackExchange.Redis;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies invalidation targets to Redis: deletes keys, empties tags, bumps namespace generations. Every command is
/// sent before any is awaited (one pipeline), and a key named many times is deleted once.
/// </summary>
internal sealed class RedisInvalidator(IConnectionMultiplexer redis)
{
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

    public async Task<InvalidationCounts> ApplyAsync(IEnumerable<Target> targets)
    {
        var database = redis.GetDatabase();
        var keys = new HashSet<string>(StringComparer.Ordinal);
        var tags = new HashSet<string>(StringComparer.Ordinal);
        var namespaces = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in targets)
        {
            _ = target.Kind switch
            {
                TargetKind.Key or TargetKind.Warm => keys.Add(target.RedisKey), // by hand, a warmed fragment is simply deleted
                TargetKind.Tag => tags.Add(target.RedisKey),
                TargetKind.Namespace => namespaces.Add(target.RedisKey),
                _ => throw new ArgumentOutOfRangeException(nameof(targets), target.Kind, "unknown target kind"),
            };
        }

        var deletes = keys.Select(key => database.KeyDeleteAsync(key)).ToList();
        var emptied = tags.Select(tag => database.ScriptEvaluateAsync(EmptyTag, new { tag = (RedisKey)tag })).ToList();
        var bumps = namespaces.Select(ns => database.StringIncrementAsync(ns)).ToList();
        await Task.WhenAll([.. deletes, .. emptied, .. bumps]);
        return new InvalidationCounts(
            keys.Count,
            deletes.Count(d => d.Result),
            tags.Count,
            emptied.Sum(t => (long)t.Result),
            namespaces.Count);
    }

    /// <summary>Deletes plain keys only (the second eviction).</summary>
    public Task DeleteAsync(IEnumerable<string> keys)
    {
        var database = redis.GetDatabase();
        return Task.WhenAll(keys.Select(key => database.KeyDeleteAsync(key)));
    }
}

/// <summary>What one invalidation did: keys asked and actually present, tags emptied and their members, namespaces bumped.</summary>
internal readonly record struct InvalidationCounts(int Keys, int KeysDeleted, int Tags, long TagMembersDeleted, int Namespaces);
