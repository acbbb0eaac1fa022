using CacheBus.Contracts;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Rules;

/// <summary>
/// The configured rules, compiled once. The listener uses it to know which tables to publish; the consumers use
/// it to turn changes into keys, so both always agree.
/// </summary>
internal sealed class RuleSet
{
    private readonly Dictionary<TableName, TableRule> _tables;

    public RuleSet(IOptions<RulesOptions> options)
    {
        _tables = [];
        foreach (var (name, table) in options.Value.Tables)
        {
            var path = $"{RulesOptions.Section}:Tables:{name}";
            var keys = table.Keys.Select(KeyTemplate.Parse).ToList();
            var tableName = TableName.Parse(name);
            _tables[tableName] = new TableRule(tableName, path, keys);
        }
    }

    public IEnumerable<TableRule> Tables => _tables.Values;

    public bool Covers(TableName table) => _tables.ContainsKey(table);

    /// <summary>Adds the keys every change invalidates; changes to tables without rules add nothing.</summary>
    public void CollectKeys(IEnumerable<RowChange> changes, ISet<string> keys)
    {
        foreach (var change in changes)
        {
            if (_tables.TryGetValue(new TableName(change.Schema, change.Table), out var rule))
            {
                rule.CollectKeys(change, keys);
            }
        }
    }
}
