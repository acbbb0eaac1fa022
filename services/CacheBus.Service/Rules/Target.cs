namespace CacheBus.Service.Rules;

/// <summary>What happens to a Redis key when a rule fires.</summary>
internal enum TargetKind
{
    /// <summary>DEL the key (plain keys, page header lists, fragments).</summary>
    Key,

    /// <summary>Delete every key registered in the tag's set, then the set.</summary>
    Tag,

    /// <summary>INCR the namespace's generation counter.</summary>
    Namespace,

    /// <summary>Fetch the fragment from <see cref="Target.Url"/> and overwrite the key (a fragment with a TTL policy).</summary>
    Warm,
}

/// <summary>
/// One Redis key a change invalidates, with what made it (for <c>explain</c>), and for a warm the fragment, its
/// vary_on values and the URL to fetch.
/// </summary>
internal readonly record struct Target(
    TargetKind Kind, string RedisKey, string Origin, string? Fragment = null, string? Url = null, IReadOnlyList<string>? VaryOn = null);
