using System.Text;
using System.Text.Json;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Wide rows against a broker with a lowered <c>max_message_size</c> (issue 16, point 4): a message the broker
/// refuses fails the publish, the session restarts and replays the same transaction forever while WAL piles up. Here
/// 500 rows of 10 KB text and one of 100 KB go in one transaction to a table that publishes its rows.
/// </summary>
public sealed class OversizedRowTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int BrokerLimit = 64 * 1024;
    private const int Rows = 500;
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;
    private ServiceProcess _service = null!;
    private string? _brokerDefault;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        await _database.ExecuteAsync("ALTER TABLE products ADD COLUMN wide text");
        _brokerDefault = (await RabbitMqCtl.RunAsync("eval", "{ok, V} = application:get_env(rabbit, max_message_size), V.")).Trim();
        await RabbitMqCtl.RunAsync("eval", $"application:set_env(rabbit, max_message_size, {BrokerLimit})."); // new channels only
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{FreePorts.Next()}";
        settings["CacheBus:Rules:Tables:products:PublishRows"] = "true";
        settings["CacheBus:Replication:MaxMessageBytes"] = "16384"; // a message holds at most about twice it
        _service = ServiceProcess.Start(settings);
        await _service.WaitUntilStreamingAsync(_database);
    }

    public async ValueTask DisposeAsync()
    {
        if (_brokerDefault is not null)
        {
            await RabbitMqCtl.RunAsync("eval", $"application:set_env(rabbit, max_message_size, {_brokerDefault}).");
        }

        await _service.DisposeAsync();
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task WideRowsInOneTransaction_GoInMessagesTheBrokerTakes_TheTooLargeRowWithoutItsValues_NothingReplayed()
    {
        var ids = UniqueIds.Block(Rows + 1);
        var huge = ids[^1];
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        await using var tap = await BusTap.StartAsync("cachebus.rows-changed");

        await _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price, wide) SELECT id, 1, 'Wide', 80, repeat('w', CASE WHEN id = $2 THEN 100000 ELSE 10000 END) FROM unnest($1::bigint[]) AS id",
            ids, huge);
        var committed = await _database.CurrentWalLsnAsync();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Eventually.AssertAsync(
            async () => await _database.SlotConfirmedPastAsync(committed),
            $"the slot confirmed past the transaction (it is never confirmed while a publish keeps failing)\n{_service.Output}",
            TimeSpan.FromSeconds(60));
        var stale = await _redis.CountExistingAsync(keys);
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("rows over max_message_size", keys.Length, keys.Length - stale, keys.Length, clock.Elapsed, _service.PeakRssMegabytes, "1 of 501 rows sent without its values"));
        Assert.Equal(0, stale);

        var rows = tap.Bodies
            .SelectMany(body => JsonDocument.Parse(body).RootElement.GetProperty("message").GetProperty("changes").EnumerateArray())
            .Where(row => row.GetProperty("key").GetProperty("id").GetString() is { } id && ids.Contains(long.Parse(id, System.Globalization.CultureInfo.InvariantCulture)))
            .ToList();
        Assert.Equal(Rows + 1, rows.Select(row => row.GetProperty("position").GetInt32()).Distinct().Count()); // each row once (no replay)
        var omitted = Assert.Single(rows, row => row.TryGetProperty("valuesOmitted", out var flag) && flag.GetBoolean());
        Assert.Equal($"{huge}", omitted.GetProperty("key").GetProperty("id").GetString());
        Assert.All(tap.Bodies, body => Assert.InRange(Encoding.UTF8.GetByteCount(body), 0, BrokerLimit));
        Assert.Contains($"Row public.products (id={huge})", _service.Output, StringComparison.Ordinal);
        Assert.Contains("MaxMessageBytes", _service.Output, StringComparison.Ordinal);

        var after = UniqueIds.Next();
        await _redis.SetAsync($"product:{after}");
        await _database.ExecuteAsync(ShopTable.Products.Insert, after, 1L);
        await _redis.AssertEvictedAsync($"product:{after}");
    }
}
