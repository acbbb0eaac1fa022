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
}

/// <summary>One Redis key a change invalidates, with what made it (for <c>explain</c>).</summary>
internal readonly record struct Target(TargetKind Kind, string RedisKey, string Origin);
