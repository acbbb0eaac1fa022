using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using CacheBus.Service.Redis;
using CacheBus.Service.Sessions;
using MassTransit;
using Microsoft.Extensions.Options;
using Npgsql;
using NpgsqlTypes;
using StackExchange.Redis;

namespace CacheBus.Service.Replication;

/// <summary>
/// Checks, each time the listener connects, that the slot is the one CacheBus left (<see cref="SlotPosition"/>). A
/// slot dropped (an operator, a failover to a standby, which has no slots), invalidated by PostgreSQL
/// (<c>max_slot_wal_keep_size</c>) or ahead of the recorded position is not: re-creating it at the current position and
/// going on would leave every change committed in between uninvalidated, silently. Then CacheBus refuses to stream
/// (readiness says what was lost) or recovers as <see cref="ReplicationOptions.OnSlotLost"/> says.
/// </summary>
internal sealed partial class SlotGuard(
    IConnectionMultiplexer redis,
    RedisInvalidator invalidator,
    NpgsqlDataSource db,
    IBus bus,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    TimeProvider time,
    ILogger<SlotGuard> logger,
    SessionPolicy? sessions = null)
{
    private readonly ReplicationOptions _options = options.Value;
    private string? _systemId;

    /// <summary>The position record of this slot on this server, once the slot is known to be the one CacheBus left (or a new one).</summary>
    public async Task<SlotPosition> CheckAsync(CancellationToken ct)
    {
        // The server's identity (a promoted standby keeps it, and has no slots): a record never meets another cluster's slot.
        _systemId ??= (string)(await db.CreateCommand("SELECT system_identifier::text FROM pg_control_system()").ExecuteScalarAsync(ct))!;
        var position = new SlotPosition(redis, _systemId, _options.SlotName);
        var slot = await ReadSlotAsync(ct);
        var recorded = await position.ReadAsync();
        var lost = (slot, recorded) switch
        {
            (null, null) => null, // first start: nothing was ever read here
            (null, { } r) => $"slot {_options.SlotName} is gone (dropped, or this server is a promoted standby): changes committed after {r.Lsn} (recorded {r.At}) were never read",
            ({ Invalidated: true }, var r) => $"PostgreSQL invalidated slot {_options.SlotName} (wal_status lost, max_slot_wal_keep_size): changes committed after {r?.Lsn.ToString() ?? "its last confirmed position"} were removed unread",
            ({ } s, { } r) when s.Confirmed > r.Lsn => $"slot {_options.SlotName} starts at {s.Confirmed}, after where CacheBus left it ({r.Lsn}, recorded {r.At}): it was re-created or advanced by someone else, and changes in between were never read",
            _ => null,
        };

        if (lost is null)
        {
            var start = slot?.Confirmed ?? await CreateSlotAsync(ct);
            await position.RecordAsync(start, time.GetUtcNow()); // adopts a slot CacheBus did not record (a first start, an upgrade)
            state.SlotLost = null;
            return position;
        }

        var first = state.SlotLost is null;
        state.SlotLost = _options.OnSlotLost == SlotLostRecovery.Refuse
            ? $"{lost}. Refusing to stream (CacheBus:Replication:OnSlotLost = Refuse): to go on, flush the caches, delete Redis key {position.Key} (and drop the slot if PostgreSQL invalidated it), or restart with OnSlotLost = FlushPrefixes"
            : $"{lost}. Recovering (CacheBus:Replication:OnSlotLost = FlushPrefixes)";
        if (first)
        {
            CacheBusMetrics.SlotsLost.WithLabels(_options.OnSlotLost.ToString()).Inc();
            LogSlotLost(state.SlotLost);
        }

        if (_options.OnSlotLost == SlotLostRecovery.Refuse)
        {
            throw new SlotLostException(state.SlotLost); // the listener retries: an operator's fix is seen at the next attempt
        }

        if (slot is { Invalidated: true })
        {
            await ExecuteAsync("SELECT pg_drop_replication_slot($1)", ct);
        }

        // The new slot first: a change committed while the caches are flushed is then streamed, not lost.
        var from = slot is { Invalidated: false } ? slot.Value.Confirmed : await CreateSlotAsync(ct);
        var deleted = await FlushAsync();
        if (sessions is not null)
        {
            await bus.Publish(new SessionsChanged { RevokeAll = true, CommitLsn = from.ToString(), CommitTime = time.GetUtcNow() }, ct);
        }

        await position.RecordAsync(from, time.GetUtcNow());
        LogRecovered(from, deleted, string.Join(", ", _options.FlushPrefixes), sessions is not null);
        state.SlotLost = null;
        return position;
    }

    private async Task<long> FlushAsync()
    {
        var deleted = 0L;
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            foreach (var pattern in _options.FlushPrefixes)
            {
                await foreach (var keys in server.KeysAsync(pattern: pattern, pageSize: 1000).Chunk(1000))
                {
                    deleted += await invalidator.DeleteAsync(Array.ConvertAll(keys, key => key.ToString()));
                }
            }
        }

        return deleted;
    }

    private async Task<(NpgsqlLogSequenceNumber Confirmed, bool Invalidated)?> ReadSlotAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand(
            "SELECT confirmed_flush_lsn, wal_status = 'lost' FROM pg_replication_slots WHERE slot_name = $1");
        command.Parameters.Add(new NpgsqlParameter { Value = _options.SlotName });
        await using var reader = await command.ExecuteReaderAsync(ct);
        if (!await reader.ReadAsync(ct))
        {
            return null;
        }

        return (reader.IsDBNull(0) ? default : reader.GetFieldValue<NpgsqlLogSequenceNumber>(0), !reader.IsDBNull(1) && reader.GetBoolean(1));
    }

    private async Task<NpgsqlLogSequenceNumber> CreateSlotAsync(CancellationToken ct)
    {
        await using var command = db.CreateCommand("SELECT lsn FROM pg_create_logical_replication_slot($1, 'pgoutput')");
        command.Parameters.Add(new NpgsqlParameter { Value = _options.SlotName });
        try
        {
            return (NpgsqlLogSequenceNumber)(await command.ExecuteScalarAsync(ct))!;
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.DuplicateObject)
        {
            // A second listener starting at the same moment created it first: it starts where that one does.
            return (await ReadSlotAsync(ct))?.Confirmed ?? throw new InvalidOperationException($"Slot {_options.SlotName} was created and dropped again at once", ex);
        }
    }

    private async Task ExecuteAsync(string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        command.Parameters.Add(new NpgsqlParameter { Value = _options.SlotName });
        await command.ExecuteNonQueryAsync(ct);
    }

    [LoggerMessage(LogLevel.Error, "Replication slot lost: {What}")]
    private partial void LogSlotLost(string what);

    [LoggerMessage(LogLevel.Warning, "Recovered from the lost slot: streaming from {From}; {Deleted} Redis keys deleted under {Patterns}; every session revoked: {Sessions}")]
    private partial void LogRecovered(NpgsqlLogSequenceNumber from, long deleted, string patterns, bool sessions);
}

/// <summary>The slot is not the one CacheBus left, and CacheBus:Replication:OnSlotLost says to refuse rather than guess.</summary>
internal sealed class SlotLostException(string message) : Exception(message);
