using System.Text;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Single-key operations against the real memcached.</summary>
public sealed class MemcachedClientTests : IAsyncDisposable
{
    private readonly MemcachedClient _client = TestMemcached.Client();
    private readonly string _prefix = TestMemcached.NewPrefix();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task SetAsync_ThenGetAsync_ReturnsValueFlagsCasAndRemainingTtl()
    {
        var key = _prefix + "str";
        var value = Encoding.UTF8.GetBytes("héllo"); // Django stores a str as raw UTF-8 with flag 16

        Assert.Equal(MemcachedSetResult.Stored, await _client.SetAsync(key, value, 16, TimeSpan.FromSeconds(100), cancellationToken: Cancel));
        var item = await _client.GetAsync(key, Cancel);

        Assert.NotNull(item);
        Assert.Equal(value, item.Value.ToArray());
        Assert.Equal(16u, item.Flags);
        Assert.NotEqual(0ul, item.Cas);
        Assert.InRange(item.TimeToLive!.Value, TimeSpan.FromSeconds(95), TimeSpan.FromSeconds(100));
    }

    [Fact]
    public async Task SetAsync_ZeroTtl_NeverExpires()
    {
        var key = _prefix + "forever";

        await _client.SetAsync(key, "1"u8.ToArray(), 2, MemcachedExpiration.Never, cancellationToken: Cancel);
        var item = await _client.GetAsync(key, Cancel);
        await _client.DeleteAsync(key, cancellationToken: Cancel);

        Assert.Null(item!.TimeToLive);
    }

    [Fact]
    public async Task SetAsync_HalfAMegabyte_RoundTrips()
    {
        var key = _prefix + "large";
        var value = new byte[512 * 1024];
        Random.Shared.NextBytes(value);

        await _client.SetAsync(key, value, 0, TestMemcached.Ttl, cancellationToken: Cancel);

        Assert.Equal(value, (await _client.GetAsync(key, Cancel))!.Value.ToArray());
    }

    [Fact]
    public async Task AddAsync_KeyAbsentThenPresent_StoresOnlyTheFirstTime()
    {
        var key = _prefix + "add";

        Assert.Equal(MemcachedSetResult.Stored, await _client.AddAsync(key, "first"u8.ToArray(), 0, TestMemcached.Ttl, Cancel));
        Assert.Equal(MemcachedSetResult.NotStored, await _client.AddAsync(key, "second"u8.ToArray(), 0, TestMemcached.Ttl, Cancel));

        Assert.Equal("first"u8.ToArray(), (await _client.GetAsync(key, Cancel))!.Value.ToArray());
    }

    [Fact]
    public async Task GetAsync_MissingKey_ReturnsNull()
    {
        Assert.Null(await _client.GetAsync(_prefix + "missing", Cancel));
    }

    [Fact]
    public async Task SetAsync_StaleCas_ReturnsExistsAndKeepsTheNewerValue()
    {
        var key = _prefix + "cas";
        await _client.SetAsync(key, "v1"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel);
        var read = await _client.GetAsync(key, Cancel);

        Assert.Equal(MemcachedSetResult.Stored, await _client.SetAsync(key, "v2"u8.ToArray(), 0, TestMemcached.Ttl, read!.Cas, Cancel));
        Assert.Equal(MemcachedSetResult.Exists, await _client.SetAsync(key, "v3"u8.ToArray(), 0, TestMemcached.Ttl, read.Cas, Cancel));
        Assert.Equal("v2"u8.ToArray(), (await _client.GetAsync(key, Cancel))!.Value.ToArray());
    }

    [Fact]
    public async Task SetAsync_CasOnMissingKey_ReturnsNotFound()
    {
        Assert.Equal(
            MemcachedSetResult.NotFound,
            await _client.SetAsync(_prefix + "missing", "v"u8.ToArray(), 0, TestMemcached.Ttl, cas: 12345, Cancel));
    }

    [Fact]
    public async Task DeleteAsync_ExistingKey_DeletesItThenReportsNotFound()
    {
        var key = _prefix + "delete";
        await _client.SetAsync(key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel);

        Assert.Equal(MemcachedDeleteResult.Deleted, await _client.DeleteAsync(key, cancellationToken: Cancel));
        Assert.Null(await _client.GetAsync(key, Cancel));
        Assert.Equal(MemcachedDeleteResult.NotFound, await _client.DeleteAsync(key, cancellationToken: Cancel));
    }

    [Fact]
    public async Task DeleteAsync_StaleCas_ReturnsExistsAndKeepsTheItem()
    {
        var key = _prefix + "delete-cas";
        await _client.SetAsync(key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel);
        var cas = (await _client.GetAsync(key, Cancel))!.Cas;

        Assert.Equal(MemcachedDeleteResult.Exists, await _client.DeleteAsync(key, cas + 1000, Cancel));
        Assert.NotNull(await _client.GetAsync(key, Cancel));
        Assert.Equal(MemcachedDeleteResult.Deleted, await _client.DeleteAsync(key, cas, Cancel));
    }

    [Fact]
    public async Task TouchAsync_ExistingKey_ExtendsItsTtl()
    {
        var key = _prefix + "touch";
        await _client.SetAsync(key, "v"u8.ToArray(), 1, TimeSpan.FromSeconds(10), cancellationToken: Cancel);

        Assert.True(await _client.TouchAsync(key, TimeSpan.FromHours(1), Cancel));
        var item = await _client.GetAsync(key, Cancel);

        Assert.InRange(item!.TimeToLive!.Value, TimeSpan.FromSeconds(3590), TimeSpan.FromHours(1));
        Assert.Equal("v"u8.ToArray(), item.Value.ToArray());
    }

    [Fact]
    public async Task TouchAsync_MissingKey_ReturnsFalse()
    {
        Assert.False(await _client.TouchAsync(_prefix + "missing", TimeSpan.FromHours(1), Cancel));
    }

    [Fact]
    public async Task GetAsync_ManyConcurrentCallers_ShareASmallPool()
    {
        await using var client = TestMemcached.Client(options => options.PoolSizePerServer = 2);
        var keys = Enumerable.Range(0, 50).Select(i => $"{_prefix}concurrent:{i}").ToList();
        await Task.WhenAll(keys.Select(key => client.SetAsync(key, Encoding.ASCII.GetBytes(key), 0, TestMemcached.Ttl, cancellationToken: Cancel)));

        var items = await Task.WhenAll(keys.Select(key => client.GetAsync(key, Cancel)));

        Assert.Equal(keys, items.Select(item => Encoding.ASCII.GetString(item!.Value.Span)));
    }
}
