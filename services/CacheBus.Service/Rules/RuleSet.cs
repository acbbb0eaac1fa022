using CacheBus.Service.Django;
using CacheBus.Service.Fragments;
using CacheBus.Service.Redis;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Rules;

/// <summary>
/// The configured rules, compiled once. The listener uses it to know which tables to publish and to turn each change
/// into final Redis keys, tags, namespaces and fragment warms; the <c>explain</c> command uses the same, so the two
/// always agree.
/// </summary>
internal sealed class RuleSet
{
    private readonly Dictionary<TableName, TableRule> _tables = [];

    public RuleSet(IOptions<RulesOptions> rules, IOptions<DjangoOptions> django, IOptions<RedisOptions> redis, IOptions<FragmentsOptions>? fragments = null)
    {
        var warmed = fragments?.Value.Policies ?? [];
        foreach (var (name, table) in rules.Value.Tables)
        {
            var tableName = TableName.Parse(name);
            _tables[tableName] = Compile(tableName, $"{RulesOptions.Section}:Tables:{name}", table, django.Value, redis.Value, warmed);
        }
    }

    public IEnumerable<TableRule> Tables => _tables.Values;

    public TableRule? For(TableName table) => _tables.GetValueOrDefault(table);

    private static TableRule Compile(
        TableName table, string path, TableRuleOptions options, DjangoOptions django, RedisOptions redis, Dictionary<string, FragmentPolicyOptions> warmed)
    {
        var keys = options.DjangoCache is { } cacheName ? new DjangoKeys(django.Caches[cacheName]) : null;
        Func<string, string> keyFunction = keys is null ? key => key : keys.Key;
        var targets = new List<TargetTemplate>();
        targets.AddRange(options.Keys.Select((t, i) => TargetTemplate.Key($"{path}:Keys:{i}", KeyTemplate.Parse(t), keyFunction)));
        targets.AddRange(options.Tags.Select((t, i) => TargetTemplate.Tag($"{path}:Tags:{i}", KeyTemplate.Parse(t), keyFunction, redis.TagPrefix)));
        targets.AddRange(options.Namespaces.Select((t, i) =>
            TargetTemplate.Namespace($"{path}:Namespaces:{i}", KeyTemplate.Parse(t), keyFunction, redis.NamespacePrefix)));
        if (keys is not null)
        {
            targets.AddRange(options.Pages.Select((t, i) => TargetTemplate.Page($"{path}:Pages:{i}", KeyTemplate.Parse(t), keys)));
            targets.AddRange(options.Fragments.Select((f, i) => warmed.TryGetValue(f.Name!, out var policy)
                ? TargetTemplate.WarmedFragment($"{path}:Fragments:{i}", f.Name!, [.. f.VaryOn.Select(KeyTemplate.Parse)], KeyTemplate.ParseUrl(policy.OriginUrl), keys)
                : TargetTemplate.Fragment($"{path}:Fragments:{i}", f.Name!, [.. f.VaryOn.Select(KeyTemplate.Parse)], keys)));
        }

        return new TableRule(table, path, targets, options.PublishRows);
    }
}
