using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.IntegrationTests.Memcached;
using CacheBus.IntegrationTests.Sessions;
using CacheBus.Service.Memcached;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.DependencyInjection;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Cache outages longer than the whole retry schedule: the schedule is made short (about 2 s) so the outage (20 s)
/// outlasts it many times over. Changes committed meanwhile must still be applied once the cache is back, and
/// nothing may be parked in an error queue: a server that is away is not a message that can never be applied.
/// </summary>
public sealed class LongOutageTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const int Rows = 100;
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(20);
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;
    private ServiceProcess? _service;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync(Cancel);

    public async ValueTask DisposeAsync()
    {
        await ServersScript.RunAsync("up"); // whatever happened, the next test finds Redis running
        if (_service is not null)
        {
            await _service.DisposeAsync();
        }

        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task RedisStoppedLongerThanTheRetrySchedule_EveryKeyEvictedOnceBack_NothingInTheErrorQueue()
    {
        await StartAsync(Settings());
        var ids = UniqueIds.Block(Rows);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await _redis.SetAsync(keys);
        await _database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Outage', 80 FROM unnest($1::bigint[]) AS id", ids);
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) == 0, "the inserts evicted", TimeSpan.FromSeconds(30));
        var parkedBefore = await ErrorQueue.DepthAsync("cachebus-redis-eviction");
        await _redis.SetAsync(keys); // cached again, as Django would after the inserts

        await ServersScript.RunAsync("stop", "redis"); // saved on SIGTERM: it comes back holding these keys
        await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY($1)", ids);
        await Task.Delay(Outage, Cancel);
        _service!.Pause(); // so that the test looks first: the consumer's next retry would evict at once
        await ServersScript.RunAsync("up");
        var stale = await _redis.CountExistingOnceReachableAsync(keys);
        _service.Resume();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        Assert.Equal(Rows, stale); // Redis came back with the stale keys
        await Eventually.AssertAsync(
            async () => await _redis.CountExistingAsync(keys) == 0, $"every key evicted once Redis is back\n{_service.Output}", TimeSpan.FromSeconds(30));
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("Redis stopped 20 s, 2 s retries", Rows, Rows - await _redis.CountExistingAsync(keys), Rows, clock.Elapsed, _service.PeakRssMegabytes, "nothing in the error queue"));
        Assert.Equal(parkedBefore, await ErrorQueue.DepthAsync("cachebus-redis-eviction"));
        Assert.False(_service.HasExited);
    }

    /// <summary>
    /// Both memcached nodes black-holed (SIGSTOP: they keep their items and answer nothing, as a partition looks)
    /// while passwords change: every session of those users is revoked on both nodes once they answer again.
    /// </summary>
    [Fact]
    public async Task BothMemcachedNodesBlackHoledLongerThanTheRetrySchedule_EverySessionRevokedOnceBack_NothingInTheErrorQueue()
    {
        await using var first = await ExtraMemcached.StartAsync();
        await using var second = await ExtraMemcached.StartAsync();
        MemcachedClient[] nodes = [TestMemcached.Client([first.Address]), TestMemcached.Client([second.Address])];
        await _database.ExecuteAsync(SessionsFixture.SetupSql);
        var settings = Settings();
        foreach (var (key, value) in SessionsFixture.Overrides)
        {
            settings[key] = value;
        }

        settings["ConnectionStrings:Memcached"] = $"{first.Address},{second.Address}";
        settings["CacheBus:Memcached:OperationTimeout"] = "00:00:00.500";
        var policy = await PolicyAsync(settings);
        await StartAsync(settings);
        using var redis = await ConnectionMultiplexer.ConnectAsync(Servers.Redis);
        var users = UniqueIds.Block(20);
        await _database.ExecuteAsync("INSERT INTO profiles (user_id, display_name) SELECT id, 'Ada' FROM unnest($1::bigint[]) AS id", users);
        var sessions = new List<string>();
        foreach (var user in users)
        {
            var session = $"s{user}{Guid.NewGuid():N}";
            sessions.Add(policy.SessionKey(session));
            await redis.GetDatabase().SetAddAsync(policy.RegistryKey($"{user}"), session);
            foreach (var node in nodes)
            {
                await node.SetAsync(policy.SessionKey(session), "session"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);
            }
        }

        // The inserts' snapshots written (each on the node the service hashes it to): the consumer is idle before the outage.
        await using (var both = TestMemcached.Client([first.Address, second.Address]))
        {
            await Eventually.AssertAsync(async () => await CountAsync([both], users.Select(u => policy.SnapshotKey($"{u}"))) == users.Length, "the snapshots of the inserted profiles");
        }

        var parkedBefore = await ErrorQueue.DepthAsync("cachebus-memcached-sessions");
        Assert.Equal(sessions.Count * nodes.Length, await CountAsync(nodes, sessions)); // every session on both nodes

        first.Pause();
        second.Pause();
        await _database.ExecuteAsync("UPDATE profiles SET password_hash = 'changed' WHERE user_id = ANY($1)", users);
        await Task.Delay(Outage, Cancel);
        Assert.False(_service!.HasExited, $"CacheBus exited while memcached was black-holed:\n{_service.Output}");
        first.Resume(); // requests written before the client timed out are answered now, too late: deletes are idempotent
        second.Resume();
        var clock = System.Diagnostics.Stopwatch.StartNew();

        await Eventually.AssertAsync(
            async () => await CountAsync(nodes, sessions) == 0, $"every session revoked on both nodes once they answer\n{_service.Output}", TimeSpan.FromSeconds(30));
        var of = sessions.Count * nodes.Length;
        output.WriteLine(FaultTable.Header);
        output.WriteLine(FaultTable.Row("memcached x2 black-holed 20 s", users.Length, of - await CountAsync(nodes, sessions), of, clock.Elapsed, _service.PeakRssMegabytes, "sessions on both nodes; nothing in the error queue"));
        Assert.Equal(parkedBefore, await ErrorQueue.DepthAsync("cachebus-memcached-sessions"));
        Assert.False(_service.HasExited);
        foreach (var node in nodes)
        {
            await node.DisposeAsync();
        }
    }

    private Dictionary<string, string?> Settings()
    {
        var settings = CacheBusService.Settings(_database);
        settings["Urls"] = $"http://127.0.0.1:{FreePorts.Next()}";
        settings["CacheBus:Retry:Limit"] = "3"; // 100 ms, then about 0.3, 0.7 and 1 s: the schedule is over in ~2 s
        settings["CacheBus:Retry:MaxInterval"] = "00:00:01";
        settings["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00"; // only the first eviction can evict here
        return settings;
    }

    private async Task StartAsync(Dictionary<string, string?> settings)
    {
        _service = ServiceProcess.Start(settings);
        await _service.WaitUntilStreamingAsync(_database);
    }

    // The keys the service derives from these settings, from the service's own code (the host is built, never started).
    private static async Task<SessionPolicy> PolicyAsync(Dictionary<string, string?> settings)
    {
        await using var host = CacheBusService.Build(settings);
        return host.Services.GetRequiredService<SessionPolicy>();
    }

    private static async Task<int> CountAsync(MemcachedClient[] nodes, IEnumerable<string> keys)
    {
        var count = 0;
        foreach (var key in keys)
        {
            foreach (var node in nodes)
            {
                count += await node.GetAsync(key, Cancel) is null ? 0 : 1;
            }
        }

        return count;
    }
}
