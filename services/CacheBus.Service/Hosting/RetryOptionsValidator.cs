using Microsoft.Extensions.Options;

namespace CacheBus.Service;

internal sealed class RetryOptionsValidator : IValidateOptions<RetryOptions>
{
    public ValidateOptionsResult Validate(string? name, RetryOptions options)
    {
        var failures = new List<string>();
        if (options.Limit is < 0 or > 100)
        {
            failures.Add($"{RetryOptions.Section}:Limit: {options.Limit} must be between 0 and 100");
        }

        if (options.MaxInterval < TimeSpan.FromMilliseconds(100) || options.MaxInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{RetryOptions.Section}:MaxInterval: {options.MaxInterval} must be between 00:00:00.1 and 00:10:00");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
