using System.Diagnostics;
using System.Net;
using System.Text;
using CacheBus.IntegrationTests.Infrastructure;
using Npgsql;
using RabbitMQ.Client;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Faults on the real servers, each in the middle of a stream of committed changes: afterwards every committed
/// change's keys are evicted, and the service is ready again. Prints a table of faults and outcomes.
/// </summary>
public sealed class FaultTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Updates = 200;
    private readonly RedisKeys _redis = new();
    private readonly int _port = FreePorts.Next();
    private TestDatabase _database = null!;
    private ServiceProcess _service = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        _service = await StartAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _service.DisposeAsync();
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Faults_DuringAStreamOfChanges_LoseNothingAndRecover()
    {
        var cases = new (string Fault, Func<Task> Inject)[]
        {
            ("SIGKILL, restart (1)", KillAndRestartAsync),
            ("SIGKILL, restart (2)", KillAndRestartAsync),
            ("SIGKILL, restart (3)", KillAndRestartAsync),
            ("RabbitMQ restarted", () => RestartAsync("rabbitmq", TimeSpan.Zero)),
            ("Redis stopped 10 s", () => RestartAsync("redis", TimeSpan.FromSeconds(10))),
            ("PostgreSQL restarted", () => RestartAsync("postgres", TimeSpan.Zero)),
        };
        var table = new StringBuilder(FaultTable.Header + "\n");
        var outcomes = new List<bool>();
        foreach (var (fault, inject) in cases)
        {
            var (evicted, recovery, ready) = await RunAsync(inject);
            outcomes.Add(evicted == Updates && ready);
            table.Append(FaultTable.Row(fault, Updates, evicted, Updates, recovery, _service.PeakRssMegabytes, ready ? "ready" : "NOT READY") + "\n");
        }

        var poisoned = await PoisonAsync();
        outcomes.Add(poisoned);
        table.Append(FaultTable.Row("poison message", 0, 0, 0, null, null, poisoned ? "in cachebus-redis-eviction_error with its reason; ready" : "NOT in the error queue") + "\n");
        output.WriteLine(table.ToString());

        Assert.All(outcomes, Assert.True);
    }

    private async Task<(int Evicted, TimeSpan Recovery, bool Ready)> RunAsync(Func<Task> inject)
    {
        var ids = UniqueIds.Block(Updates);
        await WithRetryAsync(() => _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Bench', 80 FROM unnest($1::bigint[]) AS id", ids));
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);

        var writer = Task.Run(async () =>
        {
            foreach (var id in ids)
            {
                await WithRetryAsync(() => _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = $1", id));
                await Task.Delay(5);
            }
        });
        try
        {
            await Eventually.AssertAsync(
                async () => writer.IsFaulted ? throw writer.Exception! : await _redis.CountExistingAsync(keys) <= Updates - 40,
                "the stream flowing",
                TimeSpan.FromSeconds(30));
        }
        catch (Exception ex)
        {
            Assert.Fail($"{ex.Message}\nCacheBus's output:\n{_service.Output}");
        }
        var clock = Stopwatch.StartNew();
        await inject();
        await writer;
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, "every key evicted", TimeSpan.FromSeconds(90));
        var recovery = clock.Elapsed;
        return (Updates - await _redis.CountExistingAsync(keys), recovery, await ReadyAsync());
    }

    private async Task KillAndRestartAsync()
    {
        await Task.Delay(Random.Shared.Next(0, 300));
        await _service.KillAsync();
        await _service.DisposeAsync();
        _service = await StartAsync();
    }

    private static async Task RestartAsync(string server, TimeSpan down)
    {
        await ServersScript.RunAsync("stop", server);
        await Task.Delay(down);
        await ServersScript.RunAsync("up");
    }

    /// <summary>A message no consumer can read goes to the error queue with its reason; the service goes on.</summary>
    private async Task<bool> PoisonAsync()
    {
        var messageId = Guid.NewGuid().ToString();
        var factory = new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync();
        await using var channel = await connection.CreateChannelAsync();
        var properties = new BasicProperties { ContentType = "application/vnd.masstransit+json", MessageId = messageId };
        await channel.BasicPublishAsync("cachebus.keys-invalidated", "", false, properties, "{\"messageId\": \"not json"u8.ToArray());

        var inErrorQueue = false;
        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (!inErrorQueue && DateTime.UtcNow < deadline)
        {
            inErrorQueue = await TakeFromErrorQueueAsync(connection, messageId);
            await Task.Delay(inErrorQueue ? 0 : 200);
        }

        var id = UniqueIds.Next();
        await _redis.SetAsync($"product:{id}");
        await _database.ExecuteAsync(ShopTable.Products.Insert, id, 1L);
        await _redis.AssertEvictedAsync($"product:{id}");
        return inErrorQueue && await ReadyAsync();
    }

    // MassTransit creates the error queue with the first message it moves there: until then, asking for it fails.
    private static async Task<bool> TakeFromErrorQueueAsync(IConnection connection, string messageId)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            while (await channel.BasicGetAsync("cachebus-redis-eviction_error", autoAck: true) is { } message)
            {
                if (message.BasicProperties.MessageId == messageId)
                {
                    return message.BasicProperties.Headers?.ContainsKey("MT-Fault-Message") == true;
                }
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // no error queue yet
        }

        return false;
    }

    private async Task<ServiceProcess> StartAsync()
    {
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{_port}";
        var service = ServiceProcess.Start(settings);
        await service.WaitUntilStreamingAsync(_database);
        return service;
    }

    private async Task<bool> ReadyAsync()
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        for (var deadline = DateTime.UtcNow.AddSeconds(60); DateTime.UtcNow < deadline; await Task.Delay(200))
        {
            try
            {
                if ((await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK)
                {
                    return true;
                }
            }
            catch (HttpRequestException)
            {
                // not listening yet
            }
        }

        return false;
    }

    // The test's own writes wait out the outage too: a change counts once PostgreSQL committed it.
    private static async Task WithRetryAsync(Func<Task> write)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                await write();
                return;
            }
            catch (NpgsqlException) when (attempt < 300)
            {
                await Task.Delay(200);
            }
        }
    }
}
