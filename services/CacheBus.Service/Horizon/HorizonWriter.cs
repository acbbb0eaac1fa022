using CacheBus.Service.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.Service.Horizon;

/// <summary>
/// Writes each horizon the tracker proves to Redis, where <c>cachebus_django</c>'s backend reads it with every key.
/// The newest wins: the script never moves the key back (a restarted consumer may prove an older one first).
/// </summary>
internal sealed partial class HorizonWriter(
    HorizonTracker tracker, IConnectionMultiplexer redis, IOptions<HorizonOptions> options, TimeProvider time, ILogger<HorizonWriter> logger)
    : BackgroundService
{
    private static readonly LuaScript Newer = LuaScript.Prepare("""
        if tonumber(redis.call('GET', @key) or '0') < tonumber(@ms) then redis.call('SET', @key, @ms) end
        """);

    private static HorizonWriter? s_reported; // the gauge is process-wide: the writer of the host running now reports
    private static int s_callback;
    private readonly DateTimeOffset _started = time.GetUtcNow();
    private DateTimeOffset? _written;

    /// <summary>How old the horizon this consumer last wrote is; before the first, how long it has run.</summary>
    public TimeSpan Age => time.GetUtcNow() - (_written ?? _started);

    public bool Written => _written is not null;

    public override Task StartAsync(CancellationToken cancellationToken)
    {
        s_reported = this;
        if (Interlocked.Exchange(ref s_callback, 1) == 0)
        {
            Prometheus.Metrics.DefaultRegistry.AddBeforeCollectCallback(() =>
            {
                if (s_reported is { } writer)
                {
                    CacheBusMetrics.HorizonAge.Set(writer.Age.TotalSeconds);
                }
            });
        }

        return base.StartAsync(cancellationToken);
    }

    public override Task StopAsync(CancellationToken cancellationToken)
    {
        Interlocked.CompareExchange(ref s_reported, null, this);
        return base.StopAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var key = new RedisKey(options.Value.Key);
        await foreach (var horizon in tracker.Advanced.ReadAllAsync(stoppingToken))
        {
            try
            {
                await redis.GetDatabase().ScriptEvaluateAsync(Newer, new { key, ms = horizon.ToUnixTimeMilliseconds() });
                _written = horizon;
            }
            catch (Exception ex) when (logger.Survives(ex, "horizon", stoppingToken))
            {
                // Redis away: the horizon stays behind (reads bypass the cache meanwhile); the next tick writes a newer one.
                LogWriteFailed(ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not write the freshness horizon")]
    private partial void LogWriteFailed(Exception exception);
}
