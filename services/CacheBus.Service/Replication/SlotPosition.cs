using System.Globalization;
using Npgsql.Replication;
using NpgsqlTypes;
using StackExchange.Redis;

namespace CacheBus.Service.Replication;

/// <summary>
/// The newest WAL position the listener confirmed, kept in Redis (beside the caches it keeps fresh) where it survives
/// the slot, under <c>cachebus:position:&lt;system id&gt;:&lt;slot&gt;</c>. A position reaches PostgreSQL only after Redis
/// holds it, so the slot CacheBus left is never ahead of the record; <see cref="SlotGuard"/> relies on that.
/// </summary>
internal sealed class SlotPosition(IConnectionMultiplexer redis, string systemId, string slot)
{
    // How often a confirmed position is recorded and handed to Npgsql (which reports it every StatusInterval).
    private static readonly TimeSpan Period = TimeSpan.FromMilliseconds(200);

    // The record only moves forward: a listener taking over replays from the slot, behind what was recorded. LSNs
    // are compared as fixed-width hex (exact, where Lua's numbers are doubles).
    private static readonly LuaScript Advance = LuaScript.Prepare("""
        local current = redis.call('HGET', @key, 'lsn')
        if not current or current < @lsn then
          redis.call('HSET', @key, 'lsn', @lsn, 'at', @at)
          return 1
        end
        return 0
        """);

    private long _confirmed;

    public RedisKey Key { get; } = $"cachebus:position:{systemId}:{slot}";

    /// <summary>The recorded position and when it was recorded, or null when CacheBus never recorded one here.</summary>
    public async Task<(NpgsqlLogSequenceNumber Lsn, string At)?> ReadAsync()
    {
        var fields = await redis.GetDatabase().HashGetAsync(Key, ["lsn", "at"]);
        return fields[0].IsNull ? null : (new NpgsqlLogSequenceNumber(ulong.Parse(fields[0].ToString(), NumberStyles.HexNumber, CultureInfo.InvariantCulture)), fields[1].ToString());
    }

    public Task RecordAsync(NpgsqlLogSequenceNumber lsn, DateTimeOffset at) =>
        redis.GetDatabase().ScriptEvaluateAsync(Advance, new
        {
            key = Key,
            lsn = ((ulong)lsn).ToString("X16", CultureInfo.InvariantCulture),
            at = at.ToString("O", CultureInfo.InvariantCulture),
        });

    /// <summary>What the publisher calls with each position the broker confirmed everything up to.</summary>
    public void Confirm(NpgsqlLogSequenceNumber lsn) => Interlocked.Exchange(ref _confirmed, (long)(ulong)lsn);

    /// <summary>
    /// Records the newest confirmed position, then lets Npgsql report it to PostgreSQL. While Redis is away nothing is
    /// reported: the slot keeps the WAL (and replays it after a restart) until Redis is back.
    /// </summary>
    public async Task KeepAsync(LogicalReplicationConnection connection, TimeProvider time, ILogger logger, CancellationToken ct)
    {
        using var timer = new PeriodicTimer(Period, time);
        ulong recorded = 0;
        while (await timer.WaitForNextTickAsync(ct))
        {
            var confirmed = (ulong)Interlocked.Read(ref _confirmed);
            if (confirmed <= recorded)
            {
                continue;
            }

            try
            {
                await RecordAsync(new NpgsqlLogSequenceNumber(confirmed), time.GetUtcNow());
            }
            catch (Exception ex) when (logger.Survives(ex, "slot-position", ct))
            {
                continue; // counted; the next tick records the newest position
            }

            recorded = confirmed;
            connection.SetReplicationStatus(new NpgsqlLogSequenceNumber(confirmed));
        }
    }
}
