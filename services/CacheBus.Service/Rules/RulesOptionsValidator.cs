using Microsoft.Extensions.Options;

namespace CacheBus.Service.Rules;

/// <summary>Checks what can be checked without a database; every failure names the setting's path.</summary>
internal sealed class RulesOptionsValidator : IValidateOptions<RulesOptions>
{
    public ValidateOptionsResult Validate(string? name, RulesOptions options)
    {
        var failures = new List<string>();
        if (options.Tables.Count == 0)
        {
            failures.Add($"{RulesOptions.Section}:Tables: no table has rules, so nothing would ever be invalidated");
        }

        foreach (var (table, rule) in options.Tables)
        {
            var path = $"{RulesOptions.Section}:Tables:{table}";
            var parts = table.Split('.');
            if (parts.Length > 2 || parts.Any(string.IsNullOrWhiteSpace))
            {
                failures.Add($"{path}: '{table}' is not a table name (write 'table' or 'schema.table')");
            }

            if (rule.Keys.Count == 0)
            {
                failures.Add($"{path}:Keys: the table has no key templates");
            }

            for (var i = 0; i < rule.Keys.Count; i++)
            {
                try
                {
                    KeyTemplate.Parse(rule.Keys[i]);
                }
                catch (FormatException ex)
                {
                    failures.Add($"{path}:Keys:{i}: '{rule.Keys[i]}': {ex.Message}");
                }
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
