using CacheBus.Contracts;
using CacheBus.Service.Memcached;
using CacheBus.Service.Metrics;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Makes a user's Django sessions follow their profile row: a security change (or a delete) deletes every session
/// of the user; any other change rewrites the profile snapshot the sessions read and extends their TTL. The message
/// is acknowledged only after memcached answered. Revoking twice deletes nothing more; refreshing twice finds the
/// snapshot already at that LSN; so a redelivered batch does no harm.
/// </summary>
internal sealed class SessionConsumer(SessionPolicy policy, MemcachedClient memcached, ProfileSnapshots snapshots, IConnectionMultiplexer redis)
    : IConsumer<RowsChanged>, IConsumer<InvalidationRequested>
{
    /// <summary>The application asked for a user's sessions to end (a role was taken away, say).</summary>
    public async Task Consume(ConsumeContext<InvalidationRequested> context)
    {
        foreach (var user in context.Message.RevokeSessionsOf)
        {
            await RevokeAsync(user, context.CancellationToken);
        }
    }

    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        // Per user: a revoke anywhere in the batch wins; otherwise the newest change gives the snapshot.
        var users = new Dictionary<string, (bool Revoke, RowChange Latest)>(StringComparer.Ordinal);
        foreach (var change in context.Message.Changes.Where(policy.Covers))
        {
            if (policy.UserId(change) is { } user)
            {
                var revoke = policy.IsSecurityChange(change) || users.GetValueOrDefault(user).Revoke;
                users[user] = (revoke, change);
            }
        }

        foreach (var (user, (revoke, latest)) in users)
        {
            if (revoke)
            {
                await RevokeAsync(user, context.CancellationToken);
            }
            else
            {
                await RefreshAsync(user, latest, context.CancellationToken);
            }
        }

        CacheBusMetrics.MessagesConsumed.WithLabels("memcached-sessions").Inc();
    }

    private async Task RevokeAsync(string user, CancellationToken ct)
    {
        var registry = policy.RegistryKey(user);
        var sessions = await redis.GetDatabase().SetMembersAsync(registry);
        await memcached.DeleteManyAsync([.. sessions.Select(s => policy.SessionKey(s!)), policy.SnapshotKey(user)], ct);

        // Only what was revoked leaves the registry: a session made meanwhile stays known.
        await redis.GetDatabase().SetRemoveAsync(registry, sessions);
        CacheBusMetrics.Sessions.WithLabels("revoked").Inc(sessions.Length);
        CacheBusMetrics.Evictions.WithLabels("memcached", "session").Inc(sessions.Length);
    }

    private async Task RefreshAsync(string user, RowChange latest, CancellationToken ct)
    {
        if (policy.HasSnapshot)
        {
            await snapshots.WriteAsync(policy.SnapshotKey(user), policy.Snapshot(latest), latest.CommitLsn, latest.Position, policy.SessionTtl, ct);
        }

        var registry = policy.RegistryKey(user);
        var sessions = (await redis.GetDatabase().SetMembersAsync(registry)).Select(s => (string)s!).ToList();
        if (sessions.Count == 0)
        {
            return;
        }

        var touched = await memcached.TouchManyAsync(sessions.Select(policy.SessionKey), policy.SessionTtl, ct);
        var expired = sessions.Where(s => touched.Missed.Contains(policy.SessionKey(s))).Select(s => (RedisValue)s).ToArray();
        await redis.GetDatabase().SetRemoveAsync(registry, expired);
        CacheBusMetrics.Sessions.WithLabels("refreshed").Inc(sessions.Count - expired.Length);
        CacheBusMetrics.Sessions.WithLabels("expired").Inc(expired.Length);
    }
}
