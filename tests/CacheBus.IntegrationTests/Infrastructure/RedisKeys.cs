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

    /// <summary>
    /// <see cref="CountExistingAsync"/> once this client has reconnected: right after Redis restarted, its old
    /// connection is closed and commands wait (and time out) until the multiplexer has a new one.
    /// </summary>
    public async Task<int> CountExistingOnceReachableAsync(IReadOnlyCollection<string> keys)
    {
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (true)
        {
            try
            {
                return await CountExistingAsync(keys);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException && DateTime.UtcNow < deadline)
            {
                await Task.Delay(200, TestContext.Current.CancellationToken);
            }
        }
    }

    public Task AssertEvictedAsync(params string[] keys) => Eventually.AssertAsync(
        async () => await CountExistingAsync(keys) == 0, $"keys evicted from Redis: {string.Join(", ", keys)}");

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();
}
