using System.Net;
using CacheBus.IntegrationTests.Infrastructure;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The freshness horizon on the real servers: it keeps moving while the tables are idle (heartbeats), and it never
/// says a change is applied before its key is gone, with eight deliveries applied at once and ticks among them.
/// </summary>
public sealed class HorizonTests(ITestOutputHelper output) : IAsyncLifetime
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);
    private readonly string _horizonKey = $"cachebus:horizon:{Guid.NewGuid():N}"; // tests run side by side: each its own
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        await _database.ExecuteAsync("CREATE TABLE probe (id bigint PRIMARY KEY, v int NOT NULL)");
        await _database.PublishAsync();
    }

    public async ValueTask DisposeAsync()
    {
        await _redis.GetDatabase().KeyDeleteAsync(_horizonKey);
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task Horizon_OnIdleTables_StaysWithinAFewIntervalsOfNow_AndIsReported()
    {
        await using var service = await StartAsync();
        await Eventually.AssertAsync(async () => await HorizonAsync() is not null, "a horizon written");

        var ages = new List<double>();
        for (var i = 0; i < 40; i++)
        {
            ages.Add((DateTimeOffset.UtcNow - (await HorizonAsync())!.Value).TotalMilliseconds);
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }

        ages.Sort();
        output.WriteLine($"horizon age on idle tables, Interval 50 ms: median {ages[20]:0} ms, max {ages[^1]:0} ms");
        Assert.True(ages[^1] < 500, $"the horizon fell {ages[^1]:0} ms behind on idle tables");

        using var http = new HttpClient { BaseAddress = service.BaseAddress };
        var age = (await MetricsScrape.TakeAsync(http)).Value("cachebus_horizon_age_seconds");
        Assert.InRange(age, 0, 0.5);
        var ready = await http.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, ready.StatusCode);
        Assert.Contains("horizon", await ready.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Horizon_NeverPassesAChangeWhoseKeyIsStillThere()
    {
        await using var service = await StartAsync();
        var db = _redis.GetDatabase();
        var ids = UniqueIds.Block(300);
        await Task.WhenAll(ids.Select(id => db.StringSetAsync($"probe:{id}", "cached", TimeSpan.FromMinutes(5))));

        // After each commit, PostgreSQL's clock: that change committed before it. Once the horizon reaches it, the
        // change's key must be gone.
        var committed = new List<(long Id, DateTimeOffset After)>();
        var checkedUpTo = 0;
        foreach (var id in ids)
        {
            await _database.ExecuteAsync("INSERT INTO probe (id, v) VALUES ($1, 1)", id);
            committed.Add((id, new DateTimeOffset(await _database.ScalarAsync<DateTime>("SELECT clock_timestamp()"))));
            checkedUpTo = await CheckAsync(committed, checkedUpTo);
        }

        await Eventually.AssertAsync(async () => (checkedUpTo = await CheckAsync(committed, checkedUpTo)) == committed.Count, "the horizon past the last change");
    }

    // Checks the changes from `from` on that the horizon passed; returns where the horizon stopped.
    private async Task<int> CheckAsync(List<(long Id, DateTimeOffset After)> committed, int from)
    {
        var horizon = await HorizonAsync() ?? DateTimeOffset.MinValue;
        var passed = from;
        while (passed < committed.Count && committed[passed].After <= horizon)
        {
            Assert.False(await _redis.GetDatabase().KeyExistsAsync($"probe:{committed[passed].Id}"),
                $"the horizon ({horizon:O}) passed the change of probe {committed[passed].Id} (committed before {committed[passed].After:O}) whose key is still there");
            passed++;
        }

        return passed;
    }

    private async Task<DateTimeOffset?> HorizonAsync() =>
        await _redis.GetDatabase().StringGetAsync(_horizonKey) is { HasValue: true } ms ? DateTimeOffset.FromUnixTimeMilliseconds((long)ms) : null;

    private Task<CacheBusService> StartAsync() => CacheBusService.StartAsync(_database, new Dictionary<string, string?>
    {
        ["CacheBus:Rules:Tables:probe:Keys:0"] = "probe:{id}",
        ["CacheBus:Horizon:Key"] = _horizonKey,
    });
}
