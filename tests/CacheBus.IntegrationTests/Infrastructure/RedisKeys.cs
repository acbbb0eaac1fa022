using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>The real Redis, seen the way a cache reader sees it.</summary>
internal sealed class RedisKeys : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);

    private IDatabase Db => _redis.GetDatabase();

    public async Task SetAsync(params string[] keys)
    {
        await Task.WhenAll(keys.Select(key => Db.StringSetAsync(key, "cached", TimeSpan.FromMinutes(10))));
    }

    public Task<bool> ExistsAsync(string key) => Db.KeyExistsAsync(key);

    public async Task<int> CountExistingAsync(IEnumerable<string> keys) =>
        (await Task.WhenAll(keys.Select(key => Db.KeyExistsAsync(key)))).Count(exists => exists);

    public Task AssertEvictedAsync(params string[] keys) => Eventually.AssertAsync(
        async () => await CountExistingAsync(keys) == 0, $"keys evicted from Redis: {string.Join(", ", keys)}");

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
