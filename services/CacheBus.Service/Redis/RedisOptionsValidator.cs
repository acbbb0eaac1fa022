using Microsoft.Extensions.Options;

namespace CacheBus.Service.Redis;

internal sealed class RedisOptionsValidator : IValidateOptions<RedisOptions>
{
    public ValidateOptionsResult Validate(string? name, RedisOptions options)
    {
        var failures = new List<string>();
        if (options.SecondEvictionDelay < TimeSpan.Zero || options.SecondEvictionDelay > TimeSpan.FromMinutes(5))
        {
            failures.Add($"{RedisOptions.Section}:SecondEvictionDelay: {options.SecondEvictionDelay} must be between 00:00:00 (off) and 00:05:00");
        }

        if (string.IsNullOrEmpty(options.TagPrefix) || string.IsNullOrEmpty(options.NamespacePrefix))
        {
            failures.Add($"{RedisOptions.Section}: TagPrefix and NamespacePrefix must not be empty, or tags and namespaces would collide with cache keys");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
