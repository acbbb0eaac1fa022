using System.Diagnostics;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Memory while the service has far more to do than it can do at once (issue 16, point 5): a backlog of a million
/// committed changes at start, and Redis stopped for a minute under a steady 2,000 changes/s. Each prints a row of
/// the fault table (peak RSS is the service's VmHWM) and asserts that no key is left stale.
/// </summary>
public sealed class MemoryUnderLoadTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 2_000;
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;
    private ServiceProcess? _service;
    private long[] _ids = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private string[] Keys => [.. _ids.Select(id => $"product:{id}")];

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(Cancel);
        _ids = UniqueIds.Block(Rows);
        await _database.ExecuteAsync("INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Load', 80 FROM unnest($1::bigint[]) AS id", _ids);
    }

    public async ValueTask DisposeAsync()
    {
        await ServersScript.RunAsync("up");
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task BacklogOfAMillionChanges_DrainsEveryKey_PeakRssPrinted()
    {
        const int transactions = 500; // of 2,000 rows each
        await StartAsync();
        await _service!.DisposeAsync(); // SIGKILL: the slot now collects what follows
        for (var i = 0; i < transactions; i++)
        {
            await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY($1)", _ids);
        }

        var end = await _database.CurrentWalLsnAsync();
        await _redis.SetAsync(Keys);

        var clock = Stopwatch.StartNew();
        await StartAsync();
        await Eventually.AssertAsync(
            async () => await _database.SlotConfirmedPastAsync(end) && await _redis.CountExistingAsync(Keys) == 0,
            $"the backlog drained and every key evicted\n{_service!.Output}",
            TimeSpan.FromMinutes(3));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("backlog of 1,000,000 changes", transactions * Rows, Rows - await _redis.CountExistingAsync(Keys), Rows, clock.Elapsed, _service.PeakRssMegabytes, "recovered = process start to drained"));
    }

    [Fact]
    public async Task RedisStoppedAMinuteUnderASteady2000ChangesPerSecond_NothingLost_PeakRssPrinted()
    {
        var outage = TimeSpan.FromSeconds(60);
        await StartAsync();
        var parkedBefore = await ErrorQueue.DepthAsync("cachebus-redis-eviction");
        using var writing = CancellationTokenSource.CreateLinkedTokenSource(Cancel);
        var committed = 0L;
        var writer = Task.Run(
            async () =>
            {
                // 20 rows every 10 ms, round the 2,000 rows: each row changes about once a second.
                var paced = Stopwatch.StartNew();
                for (var tick = 0L; !writing.IsCancellationRequested; tick++)
                {
                    var slice = _ids.Skip((int)(tick % (Rows / 20)) * 20).Take(20).ToArray();
                    await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY($1)", slice);
                    committed += slice.Length;
                    var ahead = TimeSpan.FromMilliseconds(10 * (tick + 1)) - paced.Elapsed;
                    if (ahead > TimeSpan.Zero)
                    {
                        await Task.Delay(ahead, CancellationToken.None);
                    }
                }
            },
            CancellationToken.None);

        await Task.Delay(TimeSpan.FromSeconds(10), Cancel);
        await _redis.SetAsync(Keys); // cached again just before the outage: the updates during it must evict them
        await ServersScript.RunAsync("stop", "redis"); // saved on SIGTERM, so it comes back holding them
        var clock = Stopwatch.StartNew();
        await Task.Delay(outage, Cancel);
        _service!.Pause(); // so that the test looks first
        await ServersScript.RunAsync("up");
        var stale = await _redis.CountExistingOnceReachableAsync(Keys);
        _service.Resume();
        await Task.Delay(TimeSpan.FromSeconds(10), Cancel);
        await writing.CancelAsync();
        await writer;
        var end = await _database.CurrentWalLsnAsync();

        Assert.True(stale > 0, "Redis came back holding keys the outage left stale");
        await Eventually.AssertAsync(
            async () => await _database.SlotConfirmedPastAsync(end) && await _redis.CountExistingAsync(Keys) == 0,
            $"every key evicted after the outage\n{_service.Output}",
            TimeSpan.FromMinutes(2));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("Redis stopped 60 s at 2,000/s", committed, Rows - await _redis.CountExistingAsync(Keys), Rows, clock.Elapsed - outage, _service.PeakRssMegabytes, "recovered = Redis up to every key evicted"));
        Assert.Equal(parkedBefore, await ErrorQueue.DepthAsync("cachebus-redis-eviction"));
        Assert.False(_service.HasExited);
    }

    private async Task StartAsync()
    {
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{FreePorts.Next()}";
        settings["CacheBus:Retry:MaxInterval"] = "00:00:02"; // the default 30 s would make recovery a matter of luck
        _service = ServiceProcess.Start(settings);
        await _service.WaitUntilStreamingAsync(_database);
    }
}
