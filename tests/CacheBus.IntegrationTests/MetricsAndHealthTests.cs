using System.Net;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// A table of its own, so no other test's changes (the counters are process-wide) can blur the counts: the labels
/// of this table's samples belong to this class alone.
/// </summary>
public sealed class MetricsFixture() : CacheBusFixture(
    new Dictionary<string, string?> { ["CacheBus:Rules:Tables:metered:Keys:0"] = "metered:{id}" },
    "CREATE TABLE metered (id bigint PRIMARY KEY, price numeric NOT NULL); ALTER TABLE metered REPLICA IDENTITY FULL;");

/// <summary>/metrics counts what really happened; readiness follows the servers.</summary>
public sealed class MetricsAndHealthTests(MetricsFixture fixture) : IClassFixture<MetricsFixture>, IDisposable
{
    private readonly HttpClient _http = new() { BaseAddress = fixture.Service.BaseAddress };

    public void Dispose() => _http.Dispose();

    [Fact]
    public async Task Metrics_AfterAKnownWorkload_CountItExactly()
    {
        var ids = UniqueIds.Block(10);
        var before = await MetricsScrape.TakeAsync(_http);

        foreach (var id in ids)
        {
            await fixture.Database.ExecuteAsync("INSERT INTO metered (id, price) VALUES ($1, 10)", id);
        }

        foreach (var id in ids[..5])
        {
            await fixture.Database.ExecuteAsync("UPDATE metered SET price = price + 1 WHERE id = $1", id);
        }

        foreach (var id in ids[..3])
        {
            await fixture.Database.ExecuteAsync("DELETE FROM metered WHERE id = $1", id);
        }

        await fixture.Database.ExecuteAsync("UPDATE metered SET price = 1 WHERE id = ANY ($1)", ids[3..]); // 7 more updates, one transaction
        MetricsScrape after = before;
        await Eventually.AssertAsync(
            async () => Delta(before, after = await MetricsScrape.TakeAsync(_http), "cachebus_commit_to_applied_seconds_count", ("consumer", "redis")) >= 25,
            "25 changes applied by the Redis consumer");

        Assert.Equal(10, Delta(before, after, "cachebus_changes_received_total", ("table", "metered"), ("operation", "insert")));
        Assert.Equal(12, Delta(before, after, "cachebus_changes_received_total", ("table", "metered"), ("operation", "update")));
        Assert.Equal(3, Delta(before, after, "cachebus_changes_received_total", ("table", "metered"), ("operation", "delete")));
        Assert.Equal(25, Delta(before, after, "cachebus_commit_to_applied_seconds_count", ("consumer", "redis")));
        // Every message the broker confirmed is applied; a confirm and its delivery race, so the two meet eventually.
        await Eventually.AssertAsync(
            async () => Delta(before, after = await MetricsScrape.TakeAsync(_http), "cachebus_messages_published_total", ("message", "KeysInvalidated"))
                == Delta(before, after, "cachebus_messages_consumed_total", ("consumer", "redis")),
            "as many KeysInvalidated messages consumed as published");
        Assert.Equal(25, Delta(before, after, "cachebus_commit_to_applied_seconds_count", ("consumer", "redis")));
        Assert.Equal(0, Delta(before, after, "cachebus_messages_published_total", ("message", "RowsChanged"))); // opt-in, and off here
        Assert.InRange(Delta(before, after, "cachebus_messages_consumed_total", ("consumer", "redis")), 1, 19);
        Assert.True(after.Value("cachebus_evictions_total", ("backend", "redis"), ("kind", "key")) > before.Value("cachebus_evictions_total", ("backend", "redis"), ("kind", "key")));
    }

    [Fact]
    public async Task Metrics_ReplicationLagAndHitRatio_AreExported()
    {
        await Eventually.AssertAsync(
            async () => (await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken))
                is var text && text.Contains("cachebus_cache_hit_ratio{backend=\"redis\"}", StringComparison.Ordinal)
                && text.Contains("cachebus_cache_hit_ratio{backend=\"memcached\"}", StringComparison.Ordinal),
            "the Redis and memcached hit ratios sampled");
        var scrape = await MetricsScrape.TakeAsync(_http);

        Assert.InRange(scrape.Value("cachebus_cache_hit_ratio", ("backend", "redis")), 0, 1);
        Assert.InRange(scrape.Value("cachebus_cache_hit_ratio", ("backend", "memcached")), 0, 1);
        Assert.Contains("cachebus_replication_lag_bytes ", scrape.ToString(), StringComparison.Ordinal);
        Assert.Contains("cachebus_slot_retained_wal_bytes ", scrape.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("redis")]
    [InlineData("memcached")]
    public async Task Ready_CacheServerStoppedThenStarted_GoesUnreadyThenReady(string server)
    {
        await AssertReadyAsync(HttpStatusCode.OK);

        await ServersScript.RunAsync("stop", server);
        try
        {
            await AssertReadyAsync(HttpStatusCode.ServiceUnavailable);
            Assert.Equal(HttpStatusCode.OK, (await _http.GetAsync(new Uri("/health/live", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode);
        }
        finally
        {
            await ServersScript.RunAsync("up");
        }

        await AssertReadyAsync(HttpStatusCode.OK);
    }

    private Task AssertReadyAsync(HttpStatusCode expected) => Eventually.AssertAsync(
        async () => (await _http.GetAsync(new Uri("/health/ready", UriKind.Relative), TestContext.Current.CancellationToken)).StatusCode == expected,
        $"/health/ready answering {(int)expected}");

    private static double Delta(MetricsScrape before, MetricsScrape after, string name, params (string, string)[] labels) =>
        after.Value(name, labels) - before.Value(name, labels);

}
