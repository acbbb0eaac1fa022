using System.Collections.Concurrent;
using System.Diagnostics;
using StackExchange.Redis;

namespace CacheBus.Benchmarks;

/// <summary>
/// Sees evictions from outside the service: Redis keyspace notifications publish a <c>del</c> event for every key
/// DEL or UNLINK removes, and the watcher stamps each one as it arrives. Only keys that exist raise an event, so
/// the latency runs set every key they expect to be evicted first.
/// </summary>
internal sealed class EvictionWatch : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis;
    private readonly string _previousEvents;
    private readonly ChannelMessageQueue _events;
    private readonly ConcurrentQueue<(string Key, long Timestamp)> _seen = new();

    private EvictionWatch(ConnectionMultiplexer redis, string previousEvents, ChannelMessageQueue events)
    {
        _redis = redis;
        _previousEvents = previousEvents;
        _events = events;
        _events.OnMessage(message => _seen.Enqueue(((string)message.Message!, Stopwatch.GetTimestamp())));
    }

    public static async Task<EvictionWatch> StartAsync()
    {
        var options = ConfigurationOptions.Parse(Repository.Required("CACHEBUS_REDIS"));
        options.AllowAdmin = true; // CONFIG SET
        var redis = await ConnectionMultiplexer.ConnectAsync(options);
        var server = redis.GetServers()[0];
        var previous = (await server.ConfigGetAsync("notify-keyspace-events")).FirstOrDefault().Value ?? "";
        await server.ConfigSetAsync("notify-keyspace-events", "Eg"); // E: keyevent channels, g: DEL, UNLINK, ...
        var events = await redis.GetSubscriber().SubscribeAsync(RedisChannel.Literal($"__keyevent@{redis.GetDatabase().Database}__:del"));
        return new EvictionWatch(redis, previous, events);
    }

    /// <summary>Sets the keys (so their eviction can be seen) and forgets every event seen so far.</summary>
    public async Task ArmAsync(IEnumerable<string> keys)
    {
        var database = _redis.GetDatabase();
        foreach (var chunk in keys.Chunk(10_000))
        {
            await Task.WhenAll(chunk.Select(key => database.StringSetAsync(key, "cached")));
        }

        await _redis.GetSubscriber().PingAsync(); // events published before the sets are delivered before this answer
        _seen.Clear();
    }

    /// <summary>Events seen since <see cref="ArmAsync"/>: the key and the <see cref="Stopwatch"/> timestamp it arrived at.</summary>
    public IEnumerable<(string Key, long Timestamp)> Seen => _seen;

    public int Count => _seen.Count;

    public async ValueTask DisposeAsync()
    {
        await _events.UnsubscribeAsync();
        await _redis.GetServers()[0].ConfigSetAsync("notify-keyspace-events", _previousEvents);
        await _redis.DisposeAsync();
    }
}
