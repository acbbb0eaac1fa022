using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Pipelined quiet deletes and touches (several chunks of <see cref="MetaPipeline.ChunkSize"/>).</summary>
public sealed class MemcachedBatchTests : IAsyncDisposable
{
    private const int Keys = 1_000;
    private const int Stored = 900;

    private readonly MemcachedClient _client = TestMemcached.Client();
    private readonly string[] _keys;

    public MemcachedBatchTests()
    {
        var prefix = TestMemcached.NewPrefix();
        _keys = [.. Enumerable.Range(0, Keys).Select(i => $"{prefix}batch:{i}")];
    }

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task DeleteManyAsync_1000Keys_DeletesTheStoredOnesAndReportsTheRestMissed()
    {
        await StoreAsync(_keys[..Stored], TestMemcached.Ttl);

        var result = await _client.DeleteManyAsync(_keys, Cancel);

        Assert.Equal(Keys, result.Keys);
        Assert.Equal(_keys[Stored..], result.Missed);
        foreach (var key in _keys)
        {
            Assert.Null(await _client.GetAsync(key, Cancel));
        }
    }

    [Fact]
    public async Task TouchManyAsync_1000Keys_ExtendsTheStoredOnesAndReportsTheRestMissed()
    {
        await StoreAsync(_keys[..Stored], TimeSpan.FromSeconds(60));

        var result = await _client.TouchManyAsync(_keys, TimeSpan.FromHours(1), Cancel);

        Assert.Equal(Keys, result.Keys);
        Assert.Equal(_keys[Stored..], result.Missed);
        foreach (var key in _keys[..Stored])
        {
            Assert.InRange((await _client.GetAsync(key, Cancel))!.TimeToLive!.Value, TimeSpan.FromSeconds(3590), TimeSpan.FromHours(1));
        }

        Assert.Null(await _client.GetAsync(_keys[Stored], Cancel));
        await _client.DeleteManyAsync(_keys, Cancel);
    }

    [Fact]
    public async Task DeleteManyAsync_RepeatedKey_IsSentOnce()
    {
        await StoreAsync(_keys[..1], TestMemcached.Ttl);

        var result = await _client.DeleteManyAsync([_keys[0], _keys[0]], Cancel);

        Assert.Equal(1, result.Keys);
        Assert.Empty(result.Missed);
    }

    [Fact]
    public async Task DeleteManyAsync_NoKeys_SendsNothingAndMissesNothing()
    {
        var result = await _client.DeleteManyAsync([], Cancel);

        Assert.Equal(0, result.Keys);
        Assert.Empty(result.Missed);
    }

    private async Task StoreAsync(IEnumerable<string> keys, TimeSpan ttl)
    {
        foreach (var key in keys)
        {
            await _client.SetAsync(key, "v"u8.ToArray(), 1, ttl, cancellationToken: Cancel);
        }
    }
}
