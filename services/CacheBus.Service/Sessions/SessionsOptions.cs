namespace CacheBus.Service.Sessions;

/// <summary>
/// What happens to a user's Django sessions (cache session backend on memcached) when their profile row changes.
/// Bound from <c>CacheBus:Sessions</c>; without a <see cref="Table"/> the feature is off.
/// </summary>
public sealed class SessionsOptions
{
    public const string Section = "CacheBus:Sessions";

    /// <summary>The placeholder of <see cref="SnapshotKey"/> and <see cref="RegistryKey"/>: the user's id (the value of <see cref="UserIdColumn"/>).</summary>
    public const string UserIdPlaceholder = "user_id";

    /// <summary>The profiles table (it must also have rules, which is what publishes it), for example <c>profiles</c>.</summary>
    public string? Table { get; set; }

    /// <summary>The column holding the Django user's id.</summary>
    public string UserIdColumn { get; set; } = "user_id";

    /// <summary>A change to any of these revokes every session of the user, for example <c>is_active</c>, <c>password_hash</c>.</summary>
    public List<string> SecurityColumns { get; } = [];

    /// <summary>Columns copied into the profile snapshot the sessions read, for example <c>display_name</c>.</summary>
    public List<string> SnapshotColumns { get; } = [];

    /// <summary>The Django cache (in <c>CacheBus:Django:Caches</c>) that is SESSION_CACHE_ALIAS: its KEY_PREFIX and VERSION.</summary>
    public string DjangoCache { get; set; } = "sessions";

    /// <summary>The TTL a refresh gives the sessions and the snapshot (SESSION_COOKIE_AGE).</summary>
    public TimeSpan SessionTtl { get; set; } = TimeSpan.FromDays(14);

    /// <summary>The snapshot's cache key (before Django's key function), with the user's id for <c>{user_id}</c>.</summary>
    public string SnapshotKey { get; set; } = "cachebus.profile.{user_id}";

    /// <summary>
    /// The Redis set where the Django app records a user's session keys on login (and removes them on logout), with the
    /// user's id for <c>{user_id}</c> exactly once: a TRUNCATE finds every registry by this pattern.
    /// </summary>
    public string RegistryKey { get; set; } = "cachebus:sessions:{user_id}";
}
