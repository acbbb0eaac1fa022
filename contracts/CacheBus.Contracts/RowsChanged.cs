using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// Committed row changes, in commit order. One message carries many changes so the listener can keep up with
/// PostgreSQL's decoding rate; consumers must treat every change as possibly delivered more than once.
/// </summary>
[MessageUrn("cachebus:rows-changed:v1")]
[EntityName("cachebus.rows-changed")]
public sealed record RowsChanged
{
    /// <summary>The changes, in the order PostgreSQL committed them.</summary>
    [JsonPropertyName("changes")]
    public required IReadOnlyList<RowChange> Changes { get; init; }
}
