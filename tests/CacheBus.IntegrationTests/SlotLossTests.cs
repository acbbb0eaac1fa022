using System.Net;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The slot CacheBus streams from is dropped, or replaced, while rows change (issue 16, point 3). Before, a restarted
/// listener quietly created a new slot at the current position and the changes in between were never invalidated
/// (50 of 50 keys stale, nothing logged). Now it either refuses, saying what was lost, or flushes and goes on.
/// </summary>
public sealed class SlotLossTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 50;
    private readonly RedisKeys _redis = new();
    private readonly int _port = FreePorts.Next();
    private TestDatabase _database = null!;
    private ServiceProcess? _service;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync(Cancel);

    public async ValueTask DisposeAsync()
    {
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Theory]
    [InlineData(false, "is gone")]
    [InlineData(true, "after where CacheBus left it")]
    public async Task SlotDroppedWhileStopped_Refuse_NotReadyNamingWhatWasLost_AndNothingIsGuessed(bool recreatedBySomeoneElse, string says)
    {
        var keys = await StreamedThenStoppedAsync();
        await DropSlotAsync();
        if (recreatedBySomeoneElse)
        {
            await _database.ExecuteAsync("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", _database.SlotName);
        }

        await ChangeWhileNobodyListensAsync(keys);

        Start(Settings());
        using var http = Http();
        await Eventually.AssertAsync(
            async () => await ReadinessAsync(http) is (HttpStatusCode.ServiceUnavailable, var body) && body.Contains(says, StringComparison.Ordinal),
            $"readiness refused, saying the slot {says}\n{_service!.Output}",
            TimeSpan.FromSeconds(30));
        var (_, ready) = (await ReadinessAsync(http))!.Value;
        Assert.Contains("cachebus:position:", ready, StringComparison.Ordinal); // names the record an operator deletes to go on
        Assert.Equal(1, (await MetricsScrape.TakeAsync(http)).Value("cachebus_slot_lost_total", ("recovery", "Refuse")));
        Assert.Contains("Replication slot lost", _service.Output, StringComparison.Ordinal);

        await Task.Delay(TimeSpan.FromSeconds(3), Cancel); // it keeps refusing: no slot made up, no key touched
        Assert.Equal(recreatedBySomeoneElse ? 1 : 0, await _database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName));
        Assert.Equal(Rows, await _redis.CountExistingAsync(keys));
        Assert.False(_service.HasExited);
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row(recreatedBySomeoneElse ? "slot replaced, Refuse" : "slot dropped, Refuse", Rows, 0, 0, null, _service.PeakRssMegabytes, $"refused: not ready, said the slot {says}; {Rows} keys left to the operator"));
    }

    [Fact]
    public async Task SlotDroppedWhileStopped_FlushPrefixes_NoStaleKeySurvives_AndStreamingGoesOn()
    {
        var keys = await StreamedThenStoppedAsync();
        await DropSlotAsync();
        await ChangeWhileNobodyListensAsync(keys);

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Start(FlushingSettings());

        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, $"every key flushed\n{_service!.Output}", TimeSpan.FromSeconds(30));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("slot dropped, FlushPrefixes", Rows, Rows - await _redis.CountExistingAsync(keys), Rows, clock.Elapsed, _service.PeakRssMegabytes, "recovered = process start to flushed"));
        await AssertReadyAsync();
        using var http = Http();
        Assert.Equal(1, (await MetricsScrape.TakeAsync(http)).Value("cachebus_slot_lost_total", ("recovery", "FlushPrefixes")));
        await AssertStreamingGoesOnAsync();
    }

    [Fact]
    public async Task SlotInvalidatedByMaxSlotWalKeepSize_FlushPrefixes_DropsAndRecreatesIt_NoStaleKeySurvives()
    {
        var keys = await StreamedThenStoppedAsync();
        await ChangeWhileNobodyListensAsync(keys);
        try
        {
            // The server may keep 1 MB of WAL for a slot; 64 MB more, switched and checkpointed, invalidate it.
            await _database.ExecuteAsync("ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
            await _database.ExecuteAsync("SELECT pg_reload_conf()");
            await Eventually.AssertAsync(
                async () =>
                {
                    await _database.ExecuteAsync("CREATE TABLE IF NOT EXISTS filler (v text); INSERT INTO filler SELECT repeat(md5(g::text), 32) FROM generate_series(1, 16000) g");
                    await _database.ExecuteAsync("SELECT pg_switch_wal()");
                    await _database.ExecuteAsync("CHECKPOINT");
                    return await _database.ScalarAsync<string>("SELECT wal_status FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName) == "lost";
                },
                "PostgreSQL invalidating the slot (wal_status lost)",
                TimeSpan.FromSeconds(60));
        }
        finally
        {
            await _database.ExecuteAsync("ALTER SYSTEM RESET max_slot_wal_keep_size");
            await _database.ExecuteAsync("SELECT pg_reload_conf()");
        }

        var clock = System.Diagnostics.Stopwatch.StartNew();
        Start(FlushingSettings());

        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, $"every key flushed\n{_service!.Output}", TimeSpan.FromSeconds(30));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("slot invalidated (WAL limit)", Rows, Rows - await _redis.CountExistingAsync(keys), Rows, clock.Elapsed, _service.PeakRssMegabytes, "FlushPrefixes: dropped, re-created, flushed"));
        Assert.Contains("invalidated slot", _service.Output, StringComparison.Ordinal);
        await AssertReadyAsync();
        await AssertStreamingGoesOnAsync();
    }

    [Fact]
    public async Task SlotDroppedWhileStreaming_FlushPrefixes_NoStaleKeySurvives()
    {
        Start(FlushingSettings());
        await _service!.WaitUntilStreamingAsync(_database);
        var ids = UniqueIds.Block(Rows * 4);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        await _database.ExecuteAsync("INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Slot', 80 FROM unnest($1::bigint[]) AS id", ids);
        await _redis.AssertEvictedAsync(keys);
        await _redis.SetAsync(keys); // cached again: only the updates below can evict them now

        var writer = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = $1", id);
                await Task.Delay(10, Cancel);
            }
        }, Cancel);
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) < keys.Length - 20, "the stream flowing");
        await DropSlotAsync(); // its WAL sender terminated first: the listener is cut off mid-stream
        var clock = System.Diagnostics.Stopwatch.StartNew();
        await writer;

        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, $"every key evicted or flushed\n{_service.Output}", TimeSpan.FromSeconds(30));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("slot dropped while streaming", keys.Length, keys.Length - await _redis.CountExistingAsync(keys), keys.Length, clock.Elapsed, _service!.PeakRssMegabytes, "FlushPrefixes; recovered = drop to every key gone"));
        Assert.Contains("Recovered from the lost slot", _service.Output, StringComparison.Ordinal);
        await AssertReadyAsync();
        await AssertStreamingGoesOnAsync();
    }

    /// <summary>CacheBus streams a change to every row and the slot confirms it (so the position is recorded); then it is killed.</summary>
    private async Task<string[]> StreamedThenStoppedAsync()
    {
        Start(Settings());
        await _service!.WaitUntilStreamingAsync(_database);
        var ids = UniqueIds.Block(Rows);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        await _database.ExecuteAsync("INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Slot', 80 FROM unnest($1::bigint[]) AS id", ids);
        await _redis.AssertEvictedAsync(keys);
        var written = await _database.CurrentWalLsnAsync();
        await Eventually.AssertAsync(
            async () => await _database.SlotConfirmedPastAsync(written),
            "the slot confirmed past the inserts");
        await _service!.DisposeAsync();
        _service = null;
        return keys;
    }

    /// <summary>Rows change while no slot (or a slot CacheBus does not know) exists; Django caches them again meanwhile.</summary>
    private async Task ChangeWhileNobodyListensAsync(string[] keys)
    {
        await _redis.SetAsync(keys);
        await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE name = 'Slot'");
    }

    // The slot's WAL sender is terminated first (an active slot cannot be dropped); a reconnecting listener may take
    // the slot back in between, so this tries until the slot is gone.
    private async Task DropSlotAsync() => await Eventually.AssertAsync(
        async () =>
        {
            await _database.ExecuteAsync("SELECT pg_terminate_backend(active_pid, 5000) FROM pg_replication_slots WHERE slot_name = $1 AND active", _database.SlotName);
            try
            {
                await _database.ExecuteAsync("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND NOT active", _database.SlotName);
            }
            catch (Npgsql.PostgresException ex) when (ex.SqlState == Npgsql.PostgresErrorCodes.ObjectInUse)
            {
                return false; // taken back in between
            }

            return await _database.ScalarAsync<long>("SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName) == 0;
        },
        "the slot dropped");

    private async Task AssertReadyAsync()
    {
        using var http = Http();
        await Eventually.AssertAsync(async () => await ReadinessAsync(http) is (HttpStatusCode.OK, _), $"ready\n{_service!.Output}", TimeSpan.FromSeconds(30));
    }

    /// <summary>/health/ready's status and body, or null while the service is not listening yet.</summary>
    private static async Task<(HttpStatusCode Status, string Body)?> ReadinessAsync(HttpClient http)
    {
        try
        {
            using var response = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), Cancel);
            return (response.StatusCode, await response.Content.ReadAsStringAsync(Cancel));
        }
        catch (HttpRequestException)
        {
            return null;
        }
    }

    private async Task AssertStreamingGoesOnAsync()
    {
        var id = UniqueIds.Next();
        await _redis.SetAsync($"product:{id}");
        await _database.ExecuteAsync(ShopTable.Products.Insert, id, 1L);
        await _redis.AssertEvictedAsync($"product:{id}");
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{_port}";
        return settings;
    }

    private Dictionary<string, string?> FlushingSettings()
    {
        var settings = Settings();
        settings["CacheBus:Replication:OnSlotLost"] = "FlushPrefixes";
        settings["CacheBus:Replication:FlushPrefixes:0"] = "product:*";
        return settings;
    }

    private void Start(Dictionary<string, string?> settings) => _service = ServiceProcess.Start(settings);

    private HttpClient Http() => new() { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
}
