using CacheBus.Service.Replication;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CacheBus.Service.Metrics;

/// <summary>Samples the slot's lag and retained WAL from the server, which no client-side counter can know.</summary>
internal sealed partial class ReplicationLagSampler(
    NpgsqlDataSource db,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<ReplicationLagSampler> logger) : BackgroundService
{
    private static readonly TimeSpan Interval = TimeSpan.FromSeconds(2);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Interval, time);
        do
        {
            CacheBusMetrics.LagSeconds.Set(state.OldestUnconfirmedCommit is { } oldest ? Math.Max(0, (time.GetUtcNow() - oldest).TotalSeconds) : 0);
            try
            {
                await SampleSlotAsync(stoppingToken);
            }
            catch (Exception ex) when (logger.Survives(ex, "lag-sampler", stoppingToken))
            {
                // The database is away; the listener reports that itself. Keep the last figures and try next tick.
                LogSampleFailed(ex);
            }
        }
        while (await timer.WaitForNextTickAsync(stoppingToken));
    }

    private async Task SampleSlotAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::float8, (pg_current_wal_lsn() - restart_lsn)::float8
            FROM pg_replication_slots WHERE slot_name = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = options.Value.SlotName });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (await reader.ReadAsync(ct))
        {
            CacheBusMetrics.LagBytes.Set(reader.IsDBNull(0) ? 0 : reader.GetDouble(0));
            CacheBusMetrics.RetainedWalBytes.Set(reader.IsDBNull(1) ? 0 : reader.GetDouble(1));
        }
    }

    [LoggerMessage(LogLevel.Warning, "Could not sample the replication slot's lag")]
    private partial void LogSampleFailed(Exception exception);
}
