using CacheBus.Contracts;
using CacheBus.Service.Memcached;
using CacheBus.Service.Metrics;
using CacheBus.Service.Redis;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Makes a user's Django sessions follow their profile row, as the listener decided: a security change (or a
/// delete) deletes every session of the user; any other change rewrites the profile snapshot the sessions read and
/// extends their TTL; a TRUNCATE, which names no user, deletes every registered session. The message is acknowledged
/// only after memcached answered.
/// Revoking twice deletes nothing more; refreshing twice finds the snapshot already at that change; so a redelivered
/// batch does no harm.
/// </summary>
/// <remarks>
/// A registered session key memcached cannot take (a space, over 250 bytes) can never be a session Django stored:
/// every other key is still applied, then the message goes to the error queue at once naming it, never retried.
/// </remarks>
internal sealed class SessionConsumer(
    SessionPolicy policy, MemcachedClient memcached, ProfileSnapshots snapshots, SessionRegistries registries, IConnectionMultiplexer redis, TimeProvider time)
    : IConsumer<SessionsChanged>, IConsumer<InvalidationRequested>
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

    /// <summary>The listener's decisions for the users whose profile rows changed, in commit order.</summary>
    public async Task Consume(ConsumeContext<SessionsChanged> context)
    {
        var message = context.Message;
        var refused = new List<string>();
        if (message.RevokeAll)
        {
            await foreach (var user in registries.UsersAsync(context.CancellationToken))
            {
                await RevokeAsync(user, refused, context.CancellationToken);
            }
        }

        foreach (var user in message.Users)
        {
            if (user.Revoke)
            {
                await RevokeAsync(user.UserId, refused, context.CancellationToken);
            }
            else
            {
                await RefreshAsync(user, refused, context.CancellationToken);
            }
        }

        ThrowIfRefused(refused);
        CacheBusMetrics.MessagesConsumed.WithLabels("memcached-sessions").Inc();
        CacheBusMetrics.CommitToApplied.WithLabels("memcached-sessions").Observe((time.GetUtcNow() - message.CommitTime).TotalSeconds, Math.Max(message.Changes, 1));
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

    private async Task RefreshAsync(SessionChange change, List<string> refused, CancellationToken ct)
    {
        var user = change.UserId;
        var snapshot = policy.SnapshotKey(user);
        if (change.Snapshot is { } values && IsKey(snapshot, $"user {user}: the snapshot key", refused))
        {
            await snapshots.WriteAsync(snapshot, values, change.CommitLsn, change.Position, policy.SessionTtl, ct);
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
