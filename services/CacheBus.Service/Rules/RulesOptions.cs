namespace CacheBus.Service.Rules;

/// <summary>What a committed change to each table invalidates. Bound from <c>CacheBus:Rules</c>.</summary>
public sealed class RulesOptions
{
    public const string Section = "CacheBus:Rules";

    /// <summary>Rules per table, by name (<c>products</c> or <c>schema.products</c>; the default schema is public).</summary>
    public Dictionary<string, TableRuleOptions> Tables { get; } = new(StringComparer.Ordinal);
}

/// <summary>
/// The rules of one table. Every template is filled from the row before and after the change; <c>{column}</c> is a
/// column's value, <c>{{</c> and <c>}}</c> are literal braces.
/// </summary>
public sealed class TableRuleOptions
{
    /// <summary>
    /// Names an entry of <c>CacheBus:Django:Caches</c>: keys, tags and namespaces then go through Django's key
    /// function (<c>prefix:version:key</c>). Required by <see cref="Pages"/> and <see cref="Fragments"/>.
    /// </summary>
    public string? DjangoCache { get; set; }

    /// <summary>Cache keys to delete, for example <c>product:{id}</c>.</summary>
    public List<string?> Keys { get; } = [];

    /// <summary>Tags whose registered keys are all deleted, for example <c>category:{category_id}</c>.</summary>
    public List<string?> Tags { get; } = [];

    /// <summary>Namespaces whose generation counter is incremented, for example <c>product-list:{category_id}</c>.</summary>
    public List<string?> Namespaces { get; } = [];

    /// <summary>Absolute URLs of pages cached with cache_page, for example <c>https://shop.example.com/products/{id}/</c>.</summary>
    public List<string?> Pages { get; } = [];

    /// <summary>Template fragments cached with <c>{% cache %}</c>.</summary>
    public List<FragmentRuleOptions> Fragments { get; } = [];

    /// <summary>
    /// Also publish the table's changes as <c>RowsChanged</c>, every column of the old and new row, for subscribers of
    /// your own. Off by default: CacheBus's consumers need only the invalidations, and a row may hold what should not
    /// travel (a password hash).
    /// </summary>
    public bool PublishRows { get; set; }
}

public sealed class FragmentRuleOptions
{
    /// <summary>The fragment name of the <c>{% cache timeout name vary_on... %}</c> tag.</summary>
    public string? Name { get; set; }

    /// <summary>Templates of the vary_on values, in the tag's order, for example <c>{id}</c>.</summary>
    public List<string?> VaryOn { get; } = [];
}
