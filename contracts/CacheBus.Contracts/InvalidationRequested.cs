using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// An invalidation the application asked for, because rows alone cannot express it (a computed aggregate, a page
/// listing). Written by the Django app into the WAL inside its own transaction, so it exists if and only if that
/// transaction commits; the listener publishes it in commit order. Every key is the final Redis key (the app has
/// already applied its cache's key function).
/// </summary>
[MessageUrn("cachebus:invalidation-requested:v1")]
[EntityName("cachebus.invalidation-requested")]
public sealed record InvalidationRequested
{
    /// <summary>Redis keys to delete.</summary>
    [JsonPropertyName("keys")]
    public IReadOnlyList<string> Keys { get; init; } = [];

    /// <summary>Redis sets whose member keys are deleted, then the set.</summary>
    [JsonPropertyName("tags")]
    public IReadOnlyList<string> Tags { get; init; } = [];

    /// <summary>Redis counters (namespace generations) to increment.</summary>
    [JsonPropertyName("namespaces")]
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Users whose every session is revoked (CacheBus:Sessions must be configured).</summary>
    [JsonPropertyName("revokeSessionsOf")]
    public IReadOnlyList<string> RevokeSessionsOf { get; init; } = [];

    /// <summary>Set by the listener: the commit LSN of the transaction that wrote the intent.</summary>
    [JsonPropertyName("commitLsn")]
    public string? CommitLsn { get; init; }

    /// <summary>Set by the listener when the intent could not be read; consumers refuse it, so it lands in the error queue with this reason.</summary>
    [JsonPropertyName("malformed")]
    public string? Malformed { get; init; }
}
