using CacheBus.Contracts;
using CacheBus.Service.Rules;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Redis;

/// <summary>
/// Deletes the Redis keys that a batch of row changes invalidates. Keys are coalesced (a key touched many times in
/// a batch is deleted once) and the deletes are pipelined; the message is acknowledged only after Redis answered
/// every one. Deleting is idempotent, so a redelivered batch does no harm.
/// </summary>
internal sealed class RedisEvictionConsumer(IConnectionMultiplexer redis, RuleSet rules) : IConsumer<RowsChanged>
{
    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        var keys = new HashSet<string>(StringComparer.Ordinal);
        rules.CollectKeys(context.Message.Changes, keys);
        if (keys.Count == 0)
        {
            return;
        }

        // Single-key commands, all sent before any is awaited: one round trip, and valid on Redis Cluster too.
        var database = redis.GetDatabase();
        await Task.WhenAll(keys.Select(key => database.KeyDeleteAsync(key)));
    }
}
