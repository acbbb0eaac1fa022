using System.Diagnostics;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Faults a real memcached does not produce on demand, played by <see cref="FakeMemcached"/>.</summary>
public sealed class MemcachedFaultTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromMilliseconds(500);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task GetAsync_ServerNeverAnswers_ThrowsTimeoutExceptionWithinTheTimeout()
    {
        await using var server = new FakeMemcached((_, _) => FakeMemcached.Silence);
        await using var client = Client(server);
        var elapsed = Stopwatch.StartNew();

        var error = await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync("k", Cancel));

        Assert.InRange(elapsed.Elapsed, Timeout - TimeSpan.FromMilliseconds(50), Timeout + TimeSpan.FromSeconds(1));
        Assert.Contains(server.Address, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task DeleteManyAsync_ServerNeverAnswers_ThrowsTimeoutException()
    {
        await using var server = new FakeMemcached((_, _) => FakeMemcached.Silence);
        await using var client = Client(server);

        await Assert.ThrowsAsync<TimeoutException>(() => client.DeleteManyAsync(["a", "b"], Cancel));
    }

    [Fact]
    public async Task GetAsync_AfterATimeout_UsesAFreshConnection()
    {
        // The first connection never answers; a later one answers every get with a miss.
        await using var server = new FakeMemcached((connection, _) => connection == 0 ? FakeMemcached.Silence : "EN\r\n");
        await using var client = Client(server);

        await Assert.ThrowsAsync<TimeoutException>(() => client.GetAsync("k", Cancel));

        Assert.Null(await client.GetAsync("k", Cancel));
        Assert.Equal(2, server.Accepted);
    }

    [Fact]
    public async Task TouchAsync_PooledConnectionDiesDuringTheRequest_IsReplayedOnceOnAFreshConnection()
    {
        await using var server = new FakeMemcached(FirstConnectionClosesOnSecondRequest);
        await using var client = Client(server);
        Assert.True(await client.TouchAsync("k", TimeSpan.FromMinutes(1), Cancel));

        Assert.True(await client.TouchAsync("k", TimeSpan.FromMinutes(1), Cancel));
        Assert.Equal(2, server.Accepted);
    }

    [Fact]
    public async Task DeleteAsync_WithCas_PooledConnectionDiesDuringTheRequest_FailsWithoutReplay()
    {
        await using var server = new FakeMemcached(FirstConnectionClosesOnSecondRequest);
        await using var client = Client(server);
        Assert.Equal(MemcachedDeleteResult.Deleted, await client.DeleteAsync("k", cancellationToken: Cancel));

        await Assert.ThrowsAsync<MemcachedException>(() => client.DeleteAsync("k", cas: 5, Cancel));
        Assert.Equal(1, server.Accepted);
        Assert.Equal(MemcachedDeleteResult.Deleted, await client.DeleteAsync("k", cas: 5, Cancel));
    }

    [Fact]
    public async Task DeleteAsync_WithCas_PooledConnectionClosedWhileIdle_GoesToAFreshConnection()
    {
        await using var server = new FakeMemcached((_, _) => "HD\r\n");
        await using var client = Client(server);
        await client.DeleteAsync("k", cancellationToken: Cancel);

        server.DropConnections();
        await Task.Delay(100, Cancel); // the FIN crosses loopback

        // A CAS delete is never replayed: it succeeds only because the dead connection was noticed before use.
        Assert.Equal(MemcachedDeleteResult.Deleted, await client.DeleteAsync("k", cas: 5, Cancel));
        Assert.Equal(2, server.Accepted);
    }

    // The first connection answers one request and then closes on reading the next: alive when it is taken from the
    // pool, dead once the request is on the wire. Later connections answer HD to everything.
    private static string? FirstConnectionClosesOnSecondRequest(int connection, int request) =>
        connection == 0 && request == 1 ? null : "HD\r\n";

    private static MemcachedClient Client(FakeMemcached server) =>
        TestMemcached.Client([server.Address], options => options.OperationTimeout = Timeout);
}
