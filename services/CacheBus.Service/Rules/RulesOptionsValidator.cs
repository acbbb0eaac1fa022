using CacheBus.Service.Django;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Rules;

/// <summary>Checks what can be checked without a database; every failure names the setting's path.</summary>
internal sealed class RulesOptionsValidator(IOptions<DjangoOptions> django) : IValidateOptions<RulesOptions>
{
    public ValidateOptionsResult Validate(string? name, RulesOptions options)
    {
        var failures = new List<string>();
        if (options.Tables.Count == 0)
        {
            failures.Add($"{RulesOptions.Section}:Tables: no table has rules, so nothing would ever be invalidated");
        }

        var seen = new Dictionary<TableName, string>();
        foreach (var (table, rule) in options.Tables)
        {
            var path = $"{RulesOptions.Section}:Tables:{table}";
            var parts = table.Split('.');
            if (parts.Length > 2 || parts.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{path}: '{table}' is not a table name (write 'table' or 'schema.table')");
            }
            else if (!seen.TryAdd(TableName.Parse(table), table))
            {
                failures.Add($"{path}: the same table as '{seen[TableName.Parse(table)]}'; give each table's rules once");
            }

            if (rule.Keys.Count + rule.Tags.Count + rule.Namespaces.Count + rule.Pages.Count + rule.Fragments.Count == 0 && !rule.PublishRows)
            {
                failures.Add($"{path}:Keys: the table has no keys, tags, namespaces, pages or fragments, and PublishRows is off");
            }

            ValidateDjango(path, rule, failures);
            ValidateTemplates($"{path}:Keys", rule.Keys, failures);
            ValidateTemplates($"{path}:Tags", rule.Tags, failures);
            ValidateTemplates($"{path}:Namespaces", rule.Namespaces, failures);
            ValidateTemplates($"{path}:Pages", rule.Pages, failures);
            for (var i = 0; i < rule.Fragments.Count; i++)
            {
                var fragment = rule.Fragments[i];
                if (string.IsNullOrWhiteSpace(fragment.Name) || fragment.Name.Any(char.IsWhiteSpace))
                {
                    failures.Add($"{path}:Fragments:{i}:Name: '{fragment.Name}' is not a {{% cache %}} fragment name");
                }

                ValidateTemplates($"{path}:Fragments:{i}:VaryOn", fragment.VaryOn, failures);
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void ValidateDjango(string path, TableRuleOptions rule, List<string> failures)
    {
        if (rule.DjangoCache is { } cache && !django.Value.Caches.ContainsKey(cache))
        {
            failures.Add($"{path}:DjangoCache: '{cache}' is not configured in {DjangoOptions.Section}:Caches");
        }

        if (rule.DjangoCache is null && rule.Pages.Count + rule.Fragments.Count > 0)
        {
            failures.Add($"{path}:DjangoCache: pages and fragments are Django cache entries; name the Django cache they live in");
        }
    }

    private static void ValidateTemplates(string path, List<string?> templates, List<string> failures)
    {
        for (var i = 0; i < templates.Count; i++)
        {
            try
            {
                KeyTemplate.Parse(templates[i]);
            }
            catch (FormatException ex)
            {
                failures.Add($"{path}:{i}: '{templates[i]}': {ex.Message}");
            }
        }
    }
}
