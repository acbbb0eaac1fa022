using CacheBus.Contracts;
using CacheBus.Service.Memcached;
using CacheBus.Service.Metrics;
using CacheBus.Service.Redis;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Makes a user's Django sessions follow their profile row: a security change (or a delete) deletes every session
/// of the user; any other change rewrites the profile snapshot the sessions read and extends their TTL; a TRUNCATE,
/// which names no user, deletes every registered session. The message is acknowledged only after memcached answered.
/// Revoking twice deletes nothing more; refreshing twice finds the snapshot already at that change; so a redelivered
/// batch does no harm.
/// </summary>
/// <remarks>
/// A registered session key memcached cannot take (a space, over 250 bytes) can never be a session Django stored:
/// every other key is still applied, then the message goes to the error queue at once naming it, never retried.
/// </remarks>
internal sealed class SessionConsumer(
    SessionPolicy policy, MemcachedClient memcached, ProfileSnapshots snapshots, SessionRegistries registries, IConnectionMultiplexer redis)
    : IConsumer<RowsChanged>, IConsumer<InvalidationRequested>
{
    /// <summary>The application asked for a user's sessions to end (a role was taken away, say).</summary>
    public async Task Consume(ConsumeContext<InvalidationRequested> context)
    {
        IntentCheck.ThrowIfUnusable(context.Message);
        var refused = new List<string>();
        foreach (var user in context.Message.RevokeSessionsOf)
        {
            await RevokeAsync(user, refused, context.CancellationToken);
        }

        ThrowIfRefused(refused);
    }

    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        // Per user: a revoke anywhere in the batch wins; otherwise the newest change gives the snapshot. A truncate
        // names no row, so in doubt it logs everyone out; the users changed before it in the batch lost their rows.
        var users = new Dictionary<string, (bool Revoke, RowChange Latest)>(StringComparer.Ordinal);
        var truncated = false;
        foreach (var change in context.Message.Changes.Where(policy.Covers))
        {
            if (change.Operation == RowOperation.Truncate)
            {
                truncated = true;
                foreach (var (user, (_, latest)) in users.ToList())
                {
                    users[user] = (true, latest);
                }
            }
            else if (policy.UserId(change) is { } user)
            {
                var revoke = policy.IsSecurityChange(change) || users.GetValueOrDefault(user).Revoke;
                users[user] = (revoke, change);
            }
        }

        var refused = new List<string>();
        if (truncated)
        {
            await foreach (var user in registries.UsersAsync(context.CancellationToken))
            {
                await RevokeAsync(user, refused, context.CancellationToken);
            }
        }

        foreach (var (user, (revoke, latest)) in users)
        {
            if (revoke)
            {
                await RevokeAsync(user, refused, context.CancellationToken);
            }
            else
            {
                await RefreshAsync(user, latest, refused, context.CancellationToken);
            }
        }

        ThrowIfRefused(refused);
        CacheBusMetrics.MessagesConsumed.WithLabels("memcached-sessions").Inc();
    }

    private async Task RevokeAsync(string user, List<string> refused, CancellationToken ct)
    {
        var registry = policy.RegistryKey(user);
        var sessions = (await redis.GetDatabase().SetMembersAsync(registry)).Where(s => IsSessionKey(user, registry, s!, refused)).ToArray();
        var keys = sessions.Select(s => policy.SessionKey(s!)).ToList();
        var snapshot = policy.SnapshotKey(user);
        if (IsKey(snapshot, $"user {user}: the snapshot key", refused))
        {
            keys.Add(snapshot);
        }

        await memcached.DeleteManyAsync(keys, ct);

        // Only what was revoked leaves the registry: a session made meanwhile stays known.
        await redis.GetDatabase().SetRemoveAsync(registry, sessions);
        CacheBusMetrics.Sessions.WithLabels("revoked").Inc(sessions.Length);
        CacheBusMetrics.Evictions.WithLabels("memcached", "session").Inc(sessions.Length);
    }

    private async Task RefreshAsync(string user, RowChange latest, List<string> refused, CancellationToken ct)
    {
        var snapshot = policy.SnapshotKey(user);
        if (policy.HasSnapshot && IsKey(snapshot, $"user {user}: the snapshot key", refused))
        {
            await snapshots.WriteAsync(snapshot, policy.Snapshot(latest), latest.CommitLsn, latest.Position, policy.SessionTtl, ct);
        }

        var registry = policy.RegistryKey(user);
        var sessions = (await redis.GetDatabase().SetMembersAsync(registry)).Select(s => (string)s!).Where(s => IsSessionKey(user, registry, s, refused)).ToList();
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

    private bool IsSessionKey(string user, string registry, string session, List<string> refused) =>
        IsKey(policy.SessionKey(session), $"user {user}: session '{Shorten(session)}' (in {registry})", refused);

    private static bool IsKey(string key, string what, List<string> refused)
    {
        if (MemcachedKey.Problem(key) is not { } problem)
        {
            return true;
        }

        refused.Add($"{what} is no memcached key: {problem}");
        return false;
    }

    // InvalidDataException: never retried (RetryPolicy), so the message is in the error queue at once with the reason.
    private static void ThrowIfRefused(List<string> refused)
    {
        if (refused.Count > 0)
        {
            var shown = string.Join("; ", refused.Take(10)) + (refused.Count > 10 ? $"; and {refused.Count - 10} more" : "");
            throw new InvalidDataException($"Applied all but {refused.Count} key(s), which can never be applied: {shown}");
        }
    }

    private static string Shorten(string text) => text.Length <= 60 ? text : $"{text[..60]}…";
}
