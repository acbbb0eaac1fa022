using System.Text.Json.Serialization;
using MassTransit;

namespace CacheBus.Contracts;

/// <summary>
/// Template fragments with a TTL policy that committed changes made stale: the warmer fetches each from its origin
/// and overwrites the key. Each fragment is named once per message.
/// </summary>
[MessageUrn("cachebus:fragments-to-warm:v1")]
[EntityName("cachebus.fragments-to-warm")]
public sealed record FragmentsToWarm
{
    /// <summary>The fragments to fetch and store.</summary>
    [JsonPropertyName("fragments")]
    public IReadOnlyList<FragmentToWarm> Fragments { get; init; } = [];

    /// <summary>The commit LSN of the newest transaction whose changes this message carries.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }

    /// <summary>When the oldest transaction whose changes this message carries committed.</summary>
    [JsonPropertyName("commitTime")]
    public required DateTimeOffset CommitTime { get; init; }

    /// <summary>How many row changes made these warms.</summary>
    [JsonPropertyName("changes")]
    public int Changes { get; init; }
}

/// <summary>One fragment: the name and vary_on values of its <c>{% cache %}</c> tag, its Django key, and the URL that renders it.</summary>
public sealed record FragmentToWarm
{
    /// <summary>The fragment name (a key of CacheBus:Fragments:Policies).</summary>
    [JsonPropertyName("name")]
    public required string Name { get; init; }

    /// <summary>The vary_on values, in the tag's order.</summary>
    [JsonPropertyName("varyOn")]
    public IReadOnlyList<string> VaryOn { get; init; } = [];

    /// <summary>The final Redis key Django reads the fragment from.</summary>
    [JsonPropertyName("key")]
    public required string Key { get; init; }

    /// <summary>The origin URL that renders the fragment, filled from the row.</summary>
    [JsonPropertyName("url")]
    public required string Url { get; init; }
}
