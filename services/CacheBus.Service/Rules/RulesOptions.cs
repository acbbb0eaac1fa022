namespace CacheBus.Service.Rules;

/// <summary>What a committed change to each table invalidates. Bound from <c>CacheBus:Rules</c>.</summary>
public sealed class RulesOptions
{
    public const string Section = "CacheBus:Rules";

    /// <summary>Rules per table, by name (<c>products</c> or <c>schema.products</c>; the default schema is public).</summary>
    public Dictionary<string, TableRuleOptions> Tables { get; } = new(StringComparer.Ordinal);
}

public sealed class TableRuleOptions
{
    /// <summary>Redis key templates, filled from the old and the new row, for example <c>product:{id}</c>.</summary>
    public List<string?> Keys { get; } = [];
}
