using CacheBus.Contracts;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Rules;

/// <summary>Rule sets built as the host builds them, and changes with only what a test cares about filled in.</summary>
internal static class TestRules
{
    public static RuleSet For(params (string Table, string[] Keys)[] tables) => new(Options.Create(OptionsFor(tables)));

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
        var keys = new HashSet<string>(StringComparer.Ordinal);
        rules.CollectKeys(changes, keys);
        return keys;
    }
}
