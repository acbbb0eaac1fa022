using CacheBus.Contracts;
using CacheBus.Service.Django;
using CacheBus.Service.Redis;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Rules;

/// <summary>Rule sets built as the host builds them, and changes with only what a test cares about filled in.</summary>
internal static class TestRules
{
    public static RuleSet For(params (string Table, string[] Keys)[] tables) => With(OptionsFor(tables));

    public static RuleSet With(RulesOptions rules, DjangoOptions? django = null, RedisOptions? redis = null) =>
        new(Options.Create(rules), Options.Create(django ?? new DjangoOptions()), Options.Create(redis ?? new RedisOptions()));

    public static RulesOptions OptionsFor(params (string Table, string[] Keys)[] tables)
    {
        var options = new RulesOptions();
        foreach (var (table, keys) in tables)
        {
            var rule = new TableRuleOptions();
            rule.Keys.AddRange(keys);
            options.Tables[table] = rule;
        }

        return options;
    }

    public static RowChange Change(string table, RowOperation operation, string schema = "public") => new()
    {
        Schema = schema,
        Table = table,
        Operation = operation,
        CommitLsn = "0/16B3748",
        CommitTime = DateTimeOffset.UnixEpoch,
        TransactionId = 1,
    };

    public static HashSet<string> KeysFor(RuleSet rules, params RowChange[] changes)
    {
        return [.. TargetsFor(rules, changes).Where(t => t.Kind == TargetKind.Key).Select(t => t.RedisKey)];
    }

    public static HashSet<Target> TargetsFor(RuleSet rules, params RowChange[] changes)
    {
        var targets = new List<Target>();
        foreach (var change in changes)
        {
            rules.For(new TableName(change.Schema, change.Table))?.Collect(change, targets);
        }

        return [.. targets];
    }
}
