using Microsoft.Extensions.Options;
using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>
/// Writes a tiny transactional message into the WAL every <see cref="ReplicationOptions.HeartbeatInterval"/> while
/// the listener streams. It reaches the slot as a transaction of its own; its commit is confirmed like any other, so
/// the slot's position keeps up with a busy database whose published tables are idle.
/// </summary>
internal sealed partial class Heartbeat(
    NpgsqlDataSource db,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<Heartbeat> logger) : BackgroundService
{
    public const string Prefix = "cachebus-heartbeat";

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        if (options.Value.HeartbeatInterval == TimeSpan.Zero)
        {
            return;
        }

        using var timer = new PeriodicTimer(options.Value.HeartbeatInterval, time);
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
