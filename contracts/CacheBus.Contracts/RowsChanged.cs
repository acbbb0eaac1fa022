using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// Committed row changes with their column values, in commit order, for subscribers other than CacheBus's own
/// consumers (which receive <see cref="KeysInvalidated"/>, <see cref="SessionsChanged"/> and
/// <see cref="FragmentsToWarm"/>). Published only for tables whose rules set <c>PublishRows</c>; then every column
/// travels. Consumers must treat every change as possibly delivered more than once.
/// </summary>
[MessageUrn("cachebus:rows-changed:v1")]
[EntityName("cachebus.rows-changed")]
public sealed record RowsChanged
{
    /// <summary>The changes, in the order PostgreSQL committed them.</summary>
    [JsonPropertyName("changes")]
    public required IReadOnlyList<RowChange> Changes { get; init; }
}
