using System.Threading.Channels;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Redis;

/// <summary>
/// Deletes evicted keys once more <see cref="RedisOptions.SecondEvictionDelay"/> after their newest commit (and up to
/// 250 ms more, so that the passes of many messages go in one command). This closes the stale-set race: a reader
/// missed, read the old row, the change committed and was evicted, and only then did the reader store the old value.
/// A fill that read before the commit and took less than the delay is stored before the commit plus the delay, so the
/// pass is due then; an eviction that itself comes later than that (a backlog after an outage or a restart) already
/// removed any such fill, and schedules nothing. The commit time is PostgreSQL's clock, compared with this host's:
/// the two must agree (NTP). The pass is held in memory: if the process dies within the delay, that pass is lost
/// (the first eviction, which is durable, is not).
/// </summary>
internal sealed partial class SecondEvictions(
    RedisInvalidator invalidator,
    IOptions<RedisOptions> options,
    TimeProvider time,
    ILogger<SecondEvictions> logger) : BackgroundService
{
    /// <summary>
    /// Most keys whose second pass is pending. A steady 100,000 changes/s keeps about 225,000 pending with the
    /// default 2 s delay (about 15 MB); past the bound a consumer waits to schedule (and so to acknowledge), rather
    /// than the queue growing while Redis is slow. It counts keys, not messages: a stream of small transactions sends
    /// a message for every few changes, and a bound of 2,000 messages made the consumer wait at 2,000 changes/s
    /// (p50 0.9 s from commit to eviction).
    /// </summary>
    public const int Capacity = 250_000;

    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(250);
    private readonly TimeSpan _delay = options.Value.SecondEvictionDelay;
    private readonly Channel<(DateTimeOffset Due, string[] Keys)> _queue =
        Channel.CreateUnbounded<(DateTimeOffset, string[])>(new UnboundedChannelOptions { SingleReader = true });

    private int _pending;
    private TaskCompletionSource _freed = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public bool Enabled => _delay > TimeSpan.Zero;

    /// <summary>Keys whose second pass is pending.</summary>
    public int Pending => Volatile.Read(ref _pending);

    /// <summary>
    /// Schedules the second pass of keys whose newest commit was at <paramref name="newestCommit"/> (null: unknown,
    /// counted from now); nothing when that pass would already be due. Waits while <see cref="Capacity"/> keys are
    /// pending (the consumers waiting when a pass frees room may each pass the bound by one message's keys).
    /// </summary>
    public async ValueTask ScheduleAsync(IReadOnlyCollection<string> keys, DateTimeOffset? newestCommit, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var due = (newestCommit ?? now) + _delay;
        if (!Enabled || keys.Count == 0 || due <= now)
        {
            return;
        }

        while (true)
        {
            var freed = Volatile.Read(ref _freed); // read before the count: a pass done after this completes it
            if (Pending < Capacity)
            {
                break;
            }

            await freed.Task.WaitAsync(ct);
        }

        Interlocked.Add(ref _pending, keys.Count);
        _queue.Writer.TryWrite((due, [.. keys]));
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
            var taken = 0;
            var now = time.GetUtcNow();
            while (_queue.Reader.TryPeek(out var next) && next.Due <= now && _queue.Reader.TryRead(out next))
            {
                keys.UnionWith(next.Keys);
                taken += next.Keys.Length;
            }

            await DeleteUntilDoneAsync(keys, stoppingToken);
            Interlocked.Add(ref _pending, -taken);
            Interlocked.Exchange(ref _freed, new(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
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
