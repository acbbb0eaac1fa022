using CacheBus.IntegrationTests.Infrastructure;
using RabbitMQ.Client;

namespace CacheBus.IntegrationTests;

/// <summary>
/// A cache outage longer than the whole retry schedule: the schedule is made short (a few seconds) so the outage
/// (20 s) outlasts it many times over. Changes committed meanwhile must still be applied once Redis is back, and
/// nothing may be parked in the error queue: a server that is away is not a message that can never be applied.
/// </summary>
public sealed class LongOutageTests : IAsyncLifetime
{
    private const int Rows = 100;
    private const string ErrorQueue = "cachebus-redis-eviction_error";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;
    private ServiceProcess _service = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{FreePorts.Next()}";
        settings["CacheBus:Retry:Limit"] = "3"; // 100 ms, then about 0.3, 0.7 and 1 s: the schedule is over in ~2 s
        settings["CacheBus:Retry:MaxInterval"] = "00:00:01";
        settings["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00"; // only the first eviction can evict here
        _service = ServiceProcess.Start(settings);
        await _service.WaitUntilStreamingAsync(_database);
    }

    public async ValueTask DisposeAsync()
    {
        await ServersScript.RunAsync("up"); // whatever happened, the next test finds Redis running
        await _service.DisposeAsync();
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task RedisStoppedLongerThanTheRetrySchedule_EveryKeyEvictedOnceBack_NothingInTheErrorQueue()
    {
        var ids = UniqueIds.Block(Rows);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        await _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Outage', 80 FROM unnest($1::bigint[]) AS id", ids);
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, "the inserts evicted", TimeSpan.FromSeconds(30));
        var parkedBefore = await ErrorQueueDepthAsync();
        await _redis.SetAsync(keys); // cached again, as Django would after the inserts

        await ServersScript.RunAsync("stop", "redis"); // saved on SIGTERM: it comes back holding these keys
        await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY($1)", ids);
        await Task.Delay(Outage, TestContext.Current.CancellationToken);
        await ServersScript.RunAsync("up");

        Assert.Equal(Rows, await _redis.CountExistingAsync(keys)); // Redis came back with the stale keys
        await Eventually.AssertAsync(
            async () => await _redis.CountExistingAsync(keys) == 0, $"every key evicted once Redis is back\n{_service.Output}", TimeSpan.FromSeconds(30));
        Assert.Equal(parkedBefore, await ErrorQueueDepthAsync());
        Assert.False(_service.HasExited);
    }

    // MassTransit creates an error queue with the first message it moves there: a queue that does not exist holds none.
    private static async Task<uint> ErrorQueueDepthAsync()
    {
        var factory = new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(ErrorQueue)).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0;
        }
    }
}
