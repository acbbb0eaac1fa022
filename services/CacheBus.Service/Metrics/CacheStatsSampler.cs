using System.Globalization;
using StackExchange.Redis;

namespace CacheBus.Service.Metrics;

/// <summary>
/// Samples Redis's keyspace hits and misses, so a team can see what its TTLs buy (Facebook found only a few percent
/// of invalidation deletes hit a cached item: the ratio says how much caching is worth here).
/// </summary>
internal sealed partial class CacheStatsSampler(IConnectionMultiplexer redis, TimeProvider time, ILogger<CacheStatsSampler> logger)
    : BackgroundService
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
            catch (RedisException ex)
            {
                // Redis is away; readiness reports it. Keep the last figures and try next tick.
                LogSampleFailed(ex);
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

        CacheBusMetrics.CacheHits.WithLabels("redis").Set(hits);
        CacheBusMetrics.CacheMisses.WithLabels("redis").Set(misses);
        CacheBusMetrics.CacheHitRatio.WithLabels("redis").Set(hits + misses == 0 ? 0 : hits / (hits + misses));
    }

    [LoggerMessage(LogLevel.Warning, "Could not sample Redis statistics")]
    private partial void LogSampleFailed(Exception exception);
}
