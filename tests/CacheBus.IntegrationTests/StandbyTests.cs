using System.Diagnostics;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>Two listeners on one slot: one streams, the other stands by and takes over when the first dies.</summary>
public sealed class StandbyTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Updates = 300;
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
    public async Task ActiveListenerKilled_StandbyTakesOverAndNothingIsLost()
    {
        var ids = UniqueIds.Block(Updates);
        await _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Stool', 30 FROM unnest($1::bigint[]) AS id", ids);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        var settings = CacheBusService.Settings(_database);
        settings["Logging:LogLevel:CacheBus"] = "Information";
        await using var first = ServiceProcess.Start(settings);
        await first.WaitUntilStreamingAsync(_database);
        var firstPid = await ActivePidAsync();
        await using var second = ServiceProcess.Start(settings);
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);
        var active = await ActivePidAsync();
        Assert.True(firstPid == active, // the second one only stands by
            $"the slot moved from walsender {firstPid} to {active}; first:\n{first.Output}\nsecond:\n{second.Output}");
        Assert.Contains("standing by to take over", second.Output, StringComparison.Ordinal);

        var writer = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = $1", id);
                await Task.Delay(5, TestContext.Current.CancellationToken);
            }
        }, TestContext.Current.CancellationToken);
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) <= Updates - 50, "50 keys evicted by the first");
        await first.KillAsync();
        var killed = Stopwatch.StartNew();
        await Eventually.AssertAsync(async () => await ActivePidAsync() is { } pid && pid != firstPid, "the standby streaming", TimeSpan.FromSeconds(30));
        var takeover = killed.Elapsed;
        await writer;

        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, $"all {Updates} keys evicted", TimeSpan.FromSeconds(30));
        output.WriteLine($"standby took over {takeover.TotalMilliseconds:0} ms after the active listener was killed");
    }

    private Task<int?> ActivePidAsync() => _database.StreamingPidAsync();
}
