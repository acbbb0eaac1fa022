using System.Globalization;
using CacheBus.Service.Memcached;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.Service.Metrics;

/// <summary>
/// Samples Redis's keyspace hits and misses, so a team can see what its TTLs buy (Facebook found only a few percent
/// of invalidation deletes hit a cached item: the ratio says how much caching is worth here).
/// </summary>
internal sealed partial class CacheStatsSampler(
    IConnectionMultiplexer redis,
    IOptions<MemcachedClientOptions> memcached,
    TimeProvider time,
    ILogger<CacheStatsSampler> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            try
            {
                await SampleRedisAsync();
            }
            catch (Exception ex) when (logger.Survives(ex, "cache-stats", stoppingToken))
            {
                // Redis is away (readiness reports it): keep the last figures and try next tick.
                LogSampleFailed(ex, "Redis");
            }

            if (memcached.Value.Servers.Length > 0)
            {
                try
                {
                    await SampleMemcachedAsync(memcached.Value, stoppingToken);
                }
                catch (Exception ex) when (logger.Survives(ex, "cache-stats", stoppingToken))
                {
                    LogSampleFailed(ex, "memcached");
                }
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SampleRedisAsync()
    {
        double hits = 0, misses = 0;
        foreach (var endpoint in redis.GetEndPoints())
        {
            var stats = (await redis.GetServer(endpoint).InfoAsync("stats")).SelectMany(g => g).ToDictionary(p => p.Key, p => p.Value);
            hits += double.Parse(stats.GetValueOrDefault("keyspace_hits", "0"), CultureInfo.InvariantCulture);
            misses += double.Parse(stats.GetValueOrDefault("keyspace_misses", "0"), CultureInfo.InvariantCulture);
        }

        Report("redis", hits, misses);
    }

    private static async Task SampleMemcachedAsync(MemcachedClientOptions options, CancellationToken ct)
    {
        double hits = 0, misses = 0;
        foreach (var server in MemcachedStats.Servers(options))
        {
            var stats = await MemcachedStats.ReadAsync(server, ct);
            hits += double.Parse(stats.GetValueOrDefault("get_hits", "0"), CultureInfo.InvariantCulture);
            misses += double.Parse(stats.GetValueOrDefault("get_misses", "0"), CultureInfo.InvariantCulture);
        }

        Report("memcached", hits, misses);
    }

    private static void Report(string backend, double hits, double misses)
    {
        CacheBusMetrics.CacheHits.WithLabels(backend).Set(hits);
        CacheBusMetrics.CacheMisses.WithLabels(backend).Set(misses);
        CacheBusMetrics.CacheHitRatio.WithLabels(backend).Set(hits + misses == 0 ? 0 : hits / (hits + misses));
    }

    [LoggerMessage(LogLevel.Warning, "Could not sample {Backend} statistics")]
    private partial void LogSampleFailed(Exception exception, string backend);
}
