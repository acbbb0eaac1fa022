using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Sessions;

internal sealed class SessionsOptionsValidator(
    IOptions<RulesOptions> rules, IOptions<DjangoOptions> django, IOptions<ConnectionStringsOptions> connections)
    : IValidateOptions<SessionsOptions>
{
    public ValidateOptionsResult Validate(string? name, SessionsOptions options)
    {
        if (options.Table is null)
        {
            return ValidateOptionsResult.Success;
        }

        const string path = SessionsOptions.Section;
        var failures = new List<string>();
        if (!rules.Value.Tables.ContainsKey(options.Table))
        {
            failures.Add($"{path}:Table: '{options.Table}' has no rules in {RulesOptions.Section}:Tables, so its changes are not published");
        }

        if (!django.Value.Caches.ContainsKey(options.DjangoCache))
        {
            failures.Add($"{path}:DjangoCache: '{options.DjangoCache}' is not configured in {DjangoOptions.Section}:Caches");
        }

        if (string.IsNullOrWhiteSpace(connections.Value.Memcached))
        {
            failures.Add($"{ConnectionStringsOptions.Section}:Memcached: required when {path}:Table is set (sessions live there)");
        }

        if (options.SessionTtl <= TimeSpan.Zero)
        {
            failures.Add($"{path}:SessionTtl: {options.SessionTtl} must be positive");
        }

        foreach (var (setting, template) in new[] { ("SnapshotKey", options.SnapshotKey), ("RegistryKey", options.RegistryKey) })
        {
            try
            {
                var columns = KeyTemplate.Parse(template).Columns;

                // Both are filled from the user's id alone; the registry is also found by it (a TRUNCATE scans for
                // every registry), so it must hold the id exactly once.
                var userId = new[] { SessionsOptions.UserIdPlaceholder, options.UserIdColumn };
                if (columns.Count == 0 || columns.Any(c => !userId.Contains(c)) || (setting == "RegistryKey" && columns.Count != 1))
                {
                    failures.Add($"{path}:{setting}: '{template}' must name {{{SessionsOptions.UserIdPlaceholder}}}"
                        + (setting == "RegistryKey" ? " once and nothing else" : " and nothing else"));
                }
            }
            catch (FormatException ex)
            {
                failures.Add($"{path}:{setting}: '{template}': {ex.Message}");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
