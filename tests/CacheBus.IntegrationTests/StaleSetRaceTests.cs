using CacheBus.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The stale-set race, reproduced step by step on the real servers: a reader misses and reads the old row, the
/// writer commits, CacheBus evicts, and only then does the reader store what it read. Without the second eviction
/// the old value stays until its TTL; with it, the stale entry is gone within the configured delay.
/// </summary>
public sealed class StaleSetRaceTests : IAsyncLifetime
{
    private static readonly TimeSpan Delay = TimeSpan.FromMilliseconds(500);
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);
    private readonly RedisKeys _keys = new();
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        await _keys.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task StaleSet_WithoutSecondEviction_LeavesTheOldValueCached()
    {
        await using var service = await CacheBusService.StartAsync(_database, new Dictionary<string, string?>
        {
            ["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00",
        });

        var key = await RaceAsync();
        await Task.Delay(Delay * 3, TestContext.Current.CancellationToken);

        Assert.Equal("19.90", (string?)await _redis.GetDatabase().StringGetAsync(key)); // stale: the row says 25.00
    }

    [Fact]
    public async Task StaleSet_WithSecondEviction_RemovesTheOldValueWithinTheDelay()
    {
        await using var service = await CacheBusService.StartAsync(_database, new Dictionary<string, string?>
        {
            ["CacheBus:Redis:SecondEvictionDelay"] = Delay.ToString(),
        });

        var key = await RaceAsync();

        await Eventually.AssertAsync(
            async () => !await _redis.GetDatabase().KeyExistsAsync(key), "the stale value evicted a second time", Delay * 6);
    }

    // What closes the race without a second eviction: cachebus_django's LeaseRedisCache stores a fill only while the
    // reader's lease is there (tests/django plays the race through it). Here: the eviction takes the lease with it.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Eviction_DeletesTheLeaseOfEveryKeyItDeletes_UnlessLeasesAreOff(bool leases)
    {
        await using var service = await CacheBusService.StartAsync(_database, new Dictionary<string, string?>
        {
            ["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00",
            ["CacheBus:Redis:Leases"] = leases.ToString(),
        });
        var (id, category) = await ShopTable.Products.SeedAsync(_database, _keys);
        var listKey = $"product-list:category:{category}";
        var lease = $"cachebus:lease:{{product:{id}}}"; // a reader missed product:<id> and is reading the row
        await _keys.SetAsync(listKey, lease);

        await _database.ExecuteAsync("UPDATE products SET price = 25.00 WHERE id = $1", id);
        await _keys.AssertEvictedAsync(listKey);

        Assert.Equal(leases, !await _keys.ExistsAsync(lease));
    }

    /// <summary>Plays the race and returns the key that now holds the value read before the commit.</summary>
    private async Task<string> RaceAsync()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(_database, _keys);
        var key = $"product:{id}";
        var listKey = $"product-list:category:{category}";

        // 1. The reader misses and reads the row as it is before the commit.
        Assert.False(await _redis.GetDatabase().KeyExistsAsync(key));
        var read = await _database.ScalarAsync<decimal>("SELECT price FROM products WHERE id = $1", id);

        // 2. The writer commits; CacheBus evicts (the list key is gone once this change's deletes have run).
        await _keys.SetAsync(listKey);
        await _database.ExecuteAsync("UPDATE products SET price = 25.00 WHERE id = $1", id);
        await _keys.AssertEvictedAsync(listKey);

        // 3. Only now does the reader store what it read.
        await _redis.GetDatabase().StringSetAsync(key, read.ToString(System.Globalization.CultureInfo.InvariantCulture), TimeSpan.FromMinutes(5));
        return key;
    }
}
