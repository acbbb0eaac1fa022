using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// Two real nodes: the one servers.sh runs and a throwaway second one. Django spreads keys over nodes by its own
/// hash, so batches must reach every node; single-key operations go to the first.
/// </summary>
public sealed class MemcachedSeveralServersTests : IAsyncLifetime
{
    private readonly string _prefix = TestMemcached.NewPrefix();
    private ExtraMemcached _extra = null!;
    private MemcachedClient _first = null!;
    private MemcachedClient _second = null!;
    private MemcachedClient _both = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        _extra = await ExtraMemcached.StartAsync();
        _first = TestMemcached.Client();
        _second = TestMemcached.Client([_extra.Address]);
        _both = TestMemcached.Client([Servers.MemcachedNodes[0], _extra.Address]);
    }

    public async ValueTask DisposeAsync()
    {
        await _both.DisposeAsync();
        await _second.DisposeAsync();
        await _first.DisposeAsync();
        await _extra.DisposeAsync();
    }

    [Fact]
    public async Task DeleteManyAsync_KeysOnDifferentNodes_DeletesEachWhereverItLives()
    {
        string onFirst = _prefix + "a", onSecond = _prefix + "b", nowhere = _prefix + "c";
        await _first.SetAsync(onFirst, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);
        await _second.SetAsync(onSecond, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);

        var result = await _both.DeleteManyAsync([onFirst, onSecond, nowhere], Cancel);

        Assert.Equal([nowhere], result.Missed);
        Assert.Null(await _first.GetAsync(onFirst, Cancel));
        Assert.Null(await _second.GetAsync(onSecond, Cancel));
    }

    [Fact]
    public async Task TouchManyAsync_KeysOnDifferentNodes_TouchesEachWhereverItLives()
    {
        string onFirst = _prefix + "a", onSecond = _prefix + "b", nowhere = _prefix + "c";
        await _first.SetAsync(onFirst, "v"u8.ToArray(), 1, TimeSpan.FromSeconds(60), cancellationToken: Cancel);
        await _second.SetAsync(onSecond, "v"u8.ToArray(), 1, TimeSpan.FromSeconds(60), cancellationToken: Cancel);

        var result = await _both.TouchManyAsync([onFirst, onSecond, nowhere], TimeSpan.FromHours(1), Cancel);

        Assert.Equal([nowhere], result.Missed);
        Assert.True((await _first.GetAsync(onFirst, Cancel))!.TimeToLive > TimeSpan.FromSeconds(3590));
        Assert.True((await _second.GetAsync(onSecond, Cancel))!.TimeToLive > TimeSpan.FromSeconds(3590));
        await _both.DeleteManyAsync([onFirst, onSecond], Cancel);
    }

    [Fact]
    public async Task SetAsync_SeveralNodes_WritesToTheFirst()
    {
        var key = _prefix + "single";

        await _both.SetAsync(key, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);

        Assert.NotNull(await _first.GetAsync(key, Cancel));
        Assert.Null(await _second.GetAsync(key, Cancel));
    }
}
