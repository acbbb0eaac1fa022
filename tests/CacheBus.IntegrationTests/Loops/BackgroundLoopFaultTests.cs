using System.Net;
using System.Security.Cryptography;
using System.Text;
using CacheBus.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Loops;

/// <summary>
/// Faults that once ended the whole process from a background loop (issue 16, point 2): CacheBus runs as its own
/// process, with second evictions and a fragment that early refresh keeps warm, against a Redis and a fragment origin
/// the test runs itself. The process keeps running through each fault and catches up after it.
/// </summary>
public sealed class BackgroundLoopFaultTests : IAsyncLifetime
{
    private const string Policy = "CacheBus:Fragments:Policies:product_card:";
    private static readonly TimeSpan Outage = TimeSpan.FromSeconds(15);
    private readonly int _port = FreePorts.Next();
    private readonly RawOrigin _origin = new();
    private TestDatabase _database = null!;
    private TestVhost _vhost = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        _vhost = await TestVhost.CreateAsync();
    }

    public async ValueTask DisposeAsync()
    {
        _origin.Dispose();
        await _vhost.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task RedisBlackHoledLongerThanTheClientTimeout_ProcessKeepsRunningAndEvictsEverythingAfter()
    {
        await using var redis = await ThrowawayRedis.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.Configuration());
        var cache = client.GetDatabase();
        await using var service = await StartAsync(redis.Configuration(timeoutMs: 1000));

        var card = await WarmCardAsync(cache, service);

        // A second eviction pending: the first one happened, then a reader's stale write landed after it.
        var raced = UniqueIds.Next();
        await cache.StringSetAsync(ProductKey(raced), "cached");
        await _database.ExecuteAsync(ShopTable.Products.Insert, raced, 1L);
        await Eventually.AssertAsync(async () => !await cache.KeyExistsAsync(ProductKey(raced)), "the first eviction");
        await cache.StringSetAsync(ProductKey(raced), "stale");
        var during = UniqueIds.Next();
        await cache.StringSetAsync(ProductKey(during), "cached");

        redis.Pause();
        await _database.ExecuteAsync(ShopTable.Products.Insert, during, 1L);
        await Task.Delay(Outage, TestContext.Current.CancellationToken);
        Assert.False(service.HasExited, $"CacheBus exited while Redis was black-holed:\n{service.Output}");
        var servedAtRecovery = _origin.Served;
        redis.Resume();

        await WaitUntilReadyAsync(service);
        await Eventually.AssertAsync(() => Reachable(async () => !await cache.KeyExistsAsync(ProductKey(during))), "the change committed during the outage evicted", TimeSpan.FromSeconds(60));
        await Eventually.AssertAsync(() => Reachable(async () => !await cache.KeyExistsAsync(ProductKey(raced))), "the pending second eviction applied", TimeSpan.FromSeconds(30));
        var after = UniqueIds.Next();
        await cache.StringSetAsync(ProductKey(after), "cached");
        await _database.ExecuteAsync(ShopTable.Products.Insert, after, 1L);
        await Eventually.AssertAsync(async () => !await cache.KeyExistsAsync(ProductKey(after)), "a change committed after the outage evicted");
        await Eventually.AssertAsync(
            async () => await CardNumberAsync(cache, card) > servedAtRecovery, "the fragment refreshed after the outage", TimeSpan.FromSeconds(30));
        Assert.False(service.HasExited, service.Output);
    }

    [Fact]
    public async Task FragmentOriginClosingMidBody_CountsAFailedWarmStoresNothingAndWarmsOnceItBehaves()
    {
        await using var redis = await ThrowawayRedis.StartAsync();
        await using var client = await ConnectionMultiplexer.ConnectAsync(redis.Configuration());
        var cache = client.GetDatabase();
        await using var service = await StartAsync(redis.Configuration());
        var card = await WarmCardAsync(cache, service);

        _origin.CutOffMidBody = true;
        await Eventually.AssertAsync(
            () => Task.FromResult(_origin.CutOff >= 3 || service.HasExited), "early refreshes meeting the cut-off origin", TimeSpan.FromSeconds(30));
        Assert.False(service.HasExited, $"CacheBus exited on a response cut off mid-body:\n{service.Output}");
        Assert.StartsWith("<b>card ", await StoredAsync(cache, card), StringComparison.Ordinal); // the last whole card, nothing cut
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        var metrics = await MetricsScrape.TakeAsync(http);
        Assert.True(metrics.Value("cachebus_warms_total", ("fragment", "product_card"), ("outcome", "truncated")) >= 1, metrics.ToString());

        var servedBefore = _origin.Served;
        _origin.CutOffMidBody = false;
        await Eventually.AssertAsync(
            async () => await CardNumberAsync(cache, card) > servedBefore, "the fragment warmed once the origin behaves", TimeSpan.FromSeconds(30));
        await WaitUntilReadyAsync(service);
    }

    private static string ProductKey(long id) => $":1:product:{id}";

#pragma warning disable CA5351 // MD5 is Django's fragment key format, not a security measure.
    private static string FragmentKey(long id) =>
        $":1:template.cache.product_card.{Convert.ToHexStringLower(MD5.HashData(Encoding.UTF8.GetBytes($"{id}:")))}";
#pragma warning restore CA5351

    // The pickle CacheBus stores for a str: PROTO 2, BINUNICODE <length> <utf-8>, STOP.
    private static async Task<string?> StoredAsync(IDatabase cache, long id) =>
        await cache.StringGetAsync(FragmentKey(id)) is { HasValue: true } value ? Encoding.UTF8.GetString(((byte[])value!)[7..^1]) : null;

    private static async Task<int> CardNumberAsync(IDatabase cache, long id)
    {
        try
        {
            var html = await StoredAsync(cache, id);
            return html is not null && html.StartsWith("<b>card ", StringComparison.Ordinal) && int.TryParse(html[8..^4], out var number) ? number : 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return 0; // the test's own client reconnecting after the outage
        }
    }

    private static async Task<bool> Reachable(Func<Task<bool>> condition)
    {
        try
        {
            return await condition();
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private async Task<long> WarmCardAsync(IDatabase cache, ServiceProcess service)
    {
        var id = UniqueIds.Next();
        await _database.ExecuteAsync(ShopTable.Products.Insert, id, 1L);
        await Eventually.AssertAsync(async () => await CardNumberAsync(cache, id) > 0 || service.HasExited, "the card warmed");
        Assert.False(service.HasExited, service.Output);
        return id;
    }

    private async Task<ServiceProcess> StartAsync(string redis)
    {
        var settings = CacheBusService.Settings(_database);
        settings["ConnectionStrings:Redis"] = redis;
        settings["ConnectionStrings:RabbitMq"] = _vhost.Url;
        settings["Urls"] = $"http://127.0.0.1:{_port}";
        settings["CacheBus:Redis:SecondEvictionDelay"] = "00:00:03";
        settings["CacheBus:Django:Caches:default:Version"] = "1";
        settings["CacheBus:Rules:Tables:products:DjangoCache"] = "default";
        settings["CacheBus:Rules:Tables:products:Fragments:0:Name"] = "product_card";
        settings["CacheBus:Rules:Tables:products:Fragments:0:VaryOn:0"] = "{id}";
        settings["CacheBus:Fragments:Token"] = "loops-test-token";
        settings[Policy + "OriginUrl"] = $"{_origin.Address}/cards/?vary={{id}}";
        settings[Policy + "AllowedOrigins:0"] = _origin.Address;

        // Refreshed early every two seconds or so; the stale copy outlives the outage.
        settings[Policy + "Ttl"] = "00:00:03";
        settings[Policy + "Jitter"] = "00:00:00";
        settings[Policy + "StaleWhileRevalidate"] = "00:01:00";
        settings[Policy + "Timeout"] = "00:00:01";
        settings[Policy + "Retries"] = "1";
        var service = ServiceProcess.Start(settings);
        await service.WaitUntilStreamingAsync(_database);
        await WaitUntilReadyAsync(service);
        return service;
    }

    private async Task WaitUntilReadyAsync(ServiceProcess service)
    {
        using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{_port}") };
        await Eventually.AssertAsync(
            async () =>
            {
                Assert.False(service.HasExited, $"CacheBus exited:\n{service.Output}");
                try
                {
                    return (await http.GetAsync(new Uri("/health/ready", UriKind.Relative))).StatusCode == HttpStatusCode.OK;
                }
                catch (HttpRequestException)
                {
                    return false; // not listening yet
                }
            },
            "/health/ready answering 200",
            TimeSpan.FromSeconds(60));
    }
}
