using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>Nothing committed is lost when CacheBus dies or stops: it resumes from the slot.</summary>
public sealed class CrashRecoveryTests : IAsyncLifetime
{
    private const int Updates = 1_000;
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ProcessKilledDuringAStreamOfUpdates_EvictsEveryTouchedKeyAfterRestart()
    {
        var ids = await InsertProductsAsync(Updates);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        var settings = CacheBusService.Settings(_database);
        var first = ServiceProcess.Start(settings);
        await first.WaitUntilStreamingAsync(_database);

        // One committed transaction per update, paced so the stream is still flowing when the process dies.
        var committed = 0;
        var writer = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = $1", id);
                Interlocked.Increment(ref committed);
                await Task.Delay(3, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) <= Updates - 100, "100 keys evicted");
        await first.KillAsync();
        var committedAtKill = Volatile.Read(ref committed);
        await writer;
        var left = await _redis.CountExistingAsync(keys);

        await using var second = ServiceProcess.Start(settings);
        await second.WaitUntilStreamingAsync(_database);

        await Eventually.AssertAsync(
            async () => await _redis.CountExistingAsync(keys) == 0,
            $"all {Updates} keys evicted after the restart", TimeSpan.FromSeconds(60));
        Assert.InRange(committedAtKill, 100, Updates - 1); // the kill landed mid-stream
        Assert.InRange(left, 1, Updates - 100);             // and left work for the second process
        await first.DisposeAsync();
    }

    [Fact]
    public async Task ChangesCommittedWhileStopped_AreEvictedWhenTheServiceStartsAgain()
    {
        var ids = await InsertProductsAsync(50);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await (await CacheBusService.StartAsync(_database)).DisposeAsync();
        await _redis.SetAsync(keys);

        await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY ($1)", ids);
        await Task.Delay(300, TestContext.Current.CancellationToken);
        Assert.Equal(keys.Length, await _redis.CountExistingAsync(keys)); // nobody is listening yet
        await using var restarted = await CacheBusService.StartAsync(_database);

        await _redis.AssertEvictedAsync(keys);
    }

    private async Task<long[]> InsertProductsAsync(int count)
    {
        var ids = UniqueIds.Block(count);
        await _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Chair', 50 FROM unnest($1::bigint[]) AS id", ids);
        return ids;
    }
}
