using CacheBus.Service.Horizon;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>
/// Writes a tiny transactional message into the WAL every <see cref="ReplicationOptions.HeartbeatInterval"/> while
/// the listener streams. It reaches the slot as a transaction of its own; its commit is confirmed like any other, so
/// the slot's position keeps up with a busy database whose published tables are idle, and the freshness horizon
/// moves (every <see cref="HorizonOptions.Interval"/> when that is shorter).
/// </summary>
internal sealed partial class Heartbeat(
    NpgsqlDataSource db,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    IOptions<HorizonOptions> horizon,
    TimeProvider time,
    ILogger<Heartbeat> logger) : BackgroundService
{
    public const string Prefix = "cachebus-heartbeat";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var intervals = new[] { options.Value.HeartbeatInterval, horizon.Value.Interval }.Where(i => i > TimeSpan.Zero).ToList();
        if (intervals.Count == 0)
        {
            return;
        }

        using var timer = new PeriodicTimer(intervals.Min(), time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            if (!state.Streaming)
            {
                continue;
            }

            try
            {
                await using var command = db.CreateCommand($"SELECT pg_logical_emit_message(true, '{Prefix}', '')");
                await command.ExecuteNonQueryAsync(stoppingToken);
            }
            catch (Exception ex) when (logger.Survives(ex, "heartbeat", stoppingToken))
            {
                // The listener reports an unreachable database itself; the next tick tries again.
                LogHeartbeatFailed(ex);
            }
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not write the replication heartbeat")]
    private partial void LogHeartbeatFailed(Exception exception);
}
