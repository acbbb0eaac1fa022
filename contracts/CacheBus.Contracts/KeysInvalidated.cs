using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// What committed row changes invalidate in Redis, with the rules already applied by the listener: final Redis keys
/// (Django's key function included), tag sets and namespace counters. One message covers one or more whole
/// transactions, or a piece of a large one, in commit order; a key named twice within it is sent once. Deleting a
/// key, emptying a tag or bumping a namespace again only costs a miss, so a redelivered message does no harm.
/// </summary>
[MessageUrn("cachebus:keys-invalidated:v1")]
[EntityName("cachebus.keys-invalidated")]
public sealed record KeysInvalidated
{
    /// <summary>Redis keys to delete (plain keys, page header lists, fragments without a warm policy).</summary>
    [JsonPropertyName("keys")]
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>Redis sets whose member keys are deleted, then the set.</summary>
    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Redis counters (namespace generations) to increment.</summary>
    [JsonPropertyName("namespaces")]
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>The commit LSN of the newest transaction whose changes this message carries, in PostgreSQL's text form.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }

    /// <summary>When the oldest transaction whose changes this message carries committed (what the latency metric measures from).</summary>
    [JsonPropertyName("commitTime")]
    public required DateTimeOffset CommitTime { get; init; }

    /// <summary>
    /// When the newest transaction whose changes this message carries committed: the stale-set race of that commit
    /// is open until <c>SecondEvictionDelay</c> after it, so the second deletion is due then (and not needed once past).
    /// Absent from listeners before it: the consumer then counts the delay from the message's arrival.
    /// </summary>
    [JsonPropertyName("newestCommitTime")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public DateTimeOffset? NewestCommitTime { get; init; }

    /// <summary>How many row changes made these invalidations.</summary>
    [JsonPropertyName("changes")]
    public int Changes { get; init; }
}
