using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// Two real nodes: the one servers.sh runs and a throwaway second one. Single-key operations go to the key's node
/// (the one Django's client picks: see PymemcacheNodesTests and SnapshotsOnSeveralNodesTests); batches reach every
/// node, so they also find a copy a Django process left on another.
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
    public async Task SingleKeyOperations_SeveralNodes_EachKeyLivesOnItsNodeOnly()
    {
        var keys = Enumerable.Range(0, 40).Select(i => $"{_prefix}single.{i}").ToList();
        foreach (var key in keys)
        {
            Assert.Equal(MemcachedSetResult.Stored, await _both.SetAsync(key, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel));
        }

        var onFirst = new List<string>();
        foreach (var key in keys)
        {
            var (first, second) = (await _first.GetAsync(key, Cancel), await _second.GetAsync(key, Cancel));
            Assert.True(first is null != second is null, $"{key} should be on exactly one node");
            Assert.Equal(first is null ? _extra.Address : Servers.MemcachedNodes[0], _both.NodeOf(key).ToString());
            Assert.NotNull(await _both.GetAsync(key, Cancel));
            if (first is not null)
            {
                onFirst.Add(key);
            }
        }

        Assert.InRange(onFirst.Count, 1, keys.Count - 1);
        foreach (var key in keys)
        {
            Assert.Equal(MemcachedDeleteResult.Deleted, await _both.DeleteAsync(key, cancellationToken: Cancel));
        }
    }

    [Fact]
    public async Task DeleteFromOtherNodesAsync_CopiesOnBothNodes_LeavesOnlyTheOneOnItsNode()
    {
        var key = _prefix + "copied";
        await _first.SetAsync(key, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);
        await _second.SetAsync(key, "v"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);
        var own = _both.NodeOf(key).ToString() == _extra.Address ? _second : _first;
        var other = own == _first ? _second : _first;

        Assert.Equal(1, await _both.DeleteFromOtherNodesAsync(key, Cancel));

        Assert.NotNull(await own.GetAsync(key, Cancel));
        Assert.Null(await other.GetAsync(key, Cancel));
        await own.DeleteAsync(key, cancellationToken: Cancel);
    }
}
