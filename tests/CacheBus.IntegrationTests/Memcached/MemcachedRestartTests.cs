using System.Diagnostics;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// The real memcached is killed and started again (see <see cref="LocalMemcached"/>): the pooled connections die with
/// it, and the client must neither hang nor keep failing on them.
/// </summary>
public sealed class MemcachedRestartTests : IAsyncDisposable
{
    private readonly MemcachedClient _client = TestMemcached.Client(options => options.PoolSizePerServer = 4);
    private readonly string _key = TestMemcached.NewPrefix() + "restart";

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task Operations_AfterMemcachedRestart_SucceedOnTheFirstAttempt()
    {
        await FillThePoolAsync();

        await LocalMemcached.RestartAsync(() => Task.CompletedTask);

        // memcached keeps nothing across a restart: the miss proves the restart happened, the answer that the stale
        // pooled connections were not used.
        Assert.Null(await _client.GetAsync(_key, Cancel));
        Assert.Equal(MemcachedSetResult.Stored, await _client.SetAsync(_key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel));
        Assert.Empty((await _client.DeleteManyAsync([_key], Cancel)).Missed);
    }

    [Fact]
    public async Task Operations_WhileMemcachedIsDown_FailFastWithMemcachedExceptionThenRecover()
    {
        await FillThePoolAsync();

        await LocalMemcached.RestartAsync(async () =>
        {
            var elapsed = Stopwatch.StartNew();
            await Assert.ThrowsAsync<MemcachedException>(() => _client.GetAsync(_key, Cancel));
            await Assert.ThrowsAsync<MemcachedException>(() => _client.TouchManyAsync([_key], TimeSpan.FromMinutes(1), Cancel));
            Assert.True(elapsed.Elapsed < MemcachedClientOptions.DefaultOperationTimeout, $"failing took {elapsed.Elapsed}");
        });

        Assert.Equal(MemcachedSetResult.Stored, await _client.SetAsync(_key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel));
        Assert.NotNull(await _client.GetAsync(_key, Cancel));
    }

    /// <summary>Concurrent operations leave several idle connections to the memcached about to be killed.</summary>
    private async Task FillThePoolAsync()
    {
        await _client.SetAsync(_key, "before"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel);
        var reads = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => _client.GetAsync(_key, Cancel)));
        Assert.All(reads, Assert.NotNull);
    }
}
