using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Redis;

/// <summary>
/// Deletes evicted keys once more after <see cref="RedisOptions.SecondEvictionDelay"/> (and up to 250 ms more, so
/// that the passes of many messages go in one command). This closes the stale-set
/// race: a reader missed, read the old row, the change committed and was evicted, and only then did the reader store
/// the old value. The second pass is held in memory: if the process dies within the delay, that pass is lost (the
/// first eviction, which is durable, is not).
/// </summary>
internal sealed partial class SecondEvictions(
    RedisInvalidator invalidator,
    IOptions<RedisOptions> options,
    TimeProvider time,
    ILogger<SecondEvictions> logger) : BackgroundService
{
    /// <summary>
    /// Most messages whose second pass is pending (each holds at most a message's keys: MaxBatchSize, MaxMessageBytes).
    /// A steady 100,000 changes/s in messages of 500 keys keeps about 450 pending with the default 2 s delay; past
    /// the bound a consumer waits to schedule (and so to acknowledge), rather than the queue growing while Redis is slow.
    /// </summary>
    public const int Capacity = 2_000;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    private readonly TimeSpan _delay = options.Value.SecondEvictionDelay;
    private readonly Channel<(DateTimeOffset Due, string[] Keys)> _queue =
        Channel.CreateBounded<(DateTimeOffset, string[])>(new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    public bool Enabled => _delay > TimeSpan.Zero;

    /// <summary>Schedules the second pass; waits while <see cref="Capacity"/> passes are pending.</summary>
    public ValueTask ScheduleAsync(IEnumerable<string> keys, CancellationToken ct)
    {
        return Enabled && keys.ToArray() is { Length: > 0 } batch
            ? _queue.Writer.WriteAsync((time.GetUtcNow() + _delay, batch), ct)
            : ValueTask.CompletedTask;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        // Every entry waits the same delay, so the queue is already in due order.
        while (await _queue.Reader.WaitToReadAsync(stoppingToken))
        {
            // Passes due within one window go to Redis together: a steady trickle of small messages would otherwise
            // cost a timer and an UNLINK each (measured at 2,000 changes/s in 1,000 transactions/s: 15% of the
            // service's CPU). A key's second pass therefore comes up to one window after its delay.
            _queue.Reader.TryPeek(out var first);
            var wait = first.Due + Window - time.GetUtcNow();
            if (wait > TimeSpan.Zero)
            {
                await Task.Delay(wait, time, stoppingToken);
            }

            var keys = new HashSet<string>(StringComparer.Ordinal);
            var now = time.GetUtcNow();
            while (_queue.Reader.TryPeek(out var next) && next.Due <= now && _queue.Reader.TryRead(out next))
            {
                keys.UnionWith(next.Keys);
            }

            await DeleteUntilDoneAsync(keys, stoppingToken);
        }
    }

    // A pass that fails on a transient failure (Redis away, timing out, cut off) is neither dropped nor given up on
    // after a while: a stale write from a reader may itself be waiting out the same outage (a partition releases
    // buffered commands when it heals), so the pass is retried, with back-off capped at 10 s, until Redis takes it.
    // What stays pending meanwhile is bounded by the keys evicted (the first eviction needs Redis too, so an outage
    // schedules nothing new). A failure that cannot heal stops the host (BackgroundLoop).
    private async Task DeleteUntilDoneAsync(HashSet<string> keys, CancellationToken stoppingToken)
    {
        for (var backoff = TimeSpan.FromMilliseconds(100); ; backoff = TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.TicksPerSecond * 10)))
        {
            try
            {
                await invalidator.DeleteAsync(keys);
                return;
            }
            catch (Exception ex) when (logger.Survives(ex, "second-eviction", stoppingToken))
            {
                LogRetry(ex, keys.Count, backoff);
                await Task.Delay(backoff, time, stoppingToken);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Second eviction of {Count} keys failed; retrying in {Backoff}")]
    private partial void LogRetry(Exception exception, int count, TimeSpan backoff);
}
