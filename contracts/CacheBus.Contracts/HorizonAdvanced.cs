using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// The listener's word that every change committed up to <see cref="CommitTime"/> is on the queue ahead of this
/// message: it is published only after the broker confirmed every invalidation of those transactions. The consumer
/// that receives it writes the freshness horizon once it has applied every message delivered before it.
/// </summary>
[MessageUrn("cachebus:horizon-advanced:v1")]
[EntityName("cachebus.horizon-advanced")]
public sealed record HorizonAdvanced
{
    /// <summary>When the newest transaction whose invalidations were all confirmed committed (the server's clock).</summary>
    [JsonPropertyName("commitTime")]
    public required DateTimeOffset CommitTime { get; init; }

    /// <summary>That transaction's commit end, in PostgreSQL's text form.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }
}
