using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// What committed changes to the profiles table (CacheBus:Sessions:Table) mean for users' Django sessions, decided by
/// the listener: per user, revoke every session, or refresh them with a new profile snapshot. One entry per user per
/// message (a revoke anywhere in it wins, otherwise the newest change gives the snapshot).
/// </summary>
[MessageUrn("cachebus:sessions-changed:v1")]
[EntityName("cachebus.sessions-changed")]
public sealed record SessionsChanged
{
    /// <summary>The users whose profile changed, each once.</summary>
    [JsonPropertyName("users")]
    public IReadOnlyList<SessionChange> Users { get; init; } = [];

    /// <summary>
    /// The table was truncated: every registered session is revoked, before the entries of <see cref="Users"/> apply
    /// (users changed before the truncate within this message are already marked to revoke).
    /// </summary>
    [JsonPropertyName("revokeAll")]
    public bool RevokeAll { get; init; }

    /// <summary>The commit LSN of the newest transaction whose changes this message carries.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }

    /// <summary>When the oldest transaction whose changes this message carries committed.</summary>
    [JsonPropertyName("commitTime")]
    public required DateTimeOffset CommitTime { get; init; }

    /// <summary>How many row changes this message covers.</summary>
    [JsonPropertyName("changes")]
    public int Changes { get; init; }
}

/// <summary>One user's sessions after the newest change to their profile row in the message.</summary>
public sealed record SessionChange
{
    /// <summary>The user's id (the value of CacheBus:Sessions:UserIdColumn), in PostgreSQL's text form.</summary>
    [JsonPropertyName("userId")]
    public required string UserId { get; init; }

    /// <summary>True: delete every session of the user (a security column changed, the row was deleted, or CacheBus could not tell).</summary>
    [JsonPropertyName("revoke")]
    public bool Revoke { get; init; }

    /// <summary>
    /// Without a revoke: the snapshot columns after the change (a JSON null is SQL NULL), or null when no snapshot is
    /// configured. Only these columns travel; the security columns never do.
    /// </summary>
    [JsonPropertyName("snapshot")]
    [JsonConverter(typeof(ColumnValuesJsonConverter))]
    public IReadOnlyDictionary<string, string?>? Snapshot { get; init; }

    /// <summary>The commit LSN of the change that gave this entry: with <see cref="Position"/> it keeps an older snapshot from replacing a newer one.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }

    /// <summary>The change's place in its transaction, from 0.</summary>
    [JsonPropertyName("position")]
    public int Position { get; init; }
}
