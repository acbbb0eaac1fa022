using Microsoft.Extensions.Options;

namespace CacheBus.Service.Horizon;

internal sealed class HorizonOptionsValidator : IValidateOptions<HorizonOptions>
{
    public ValidateOptionsResult Validate(string? name, HorizonOptions options)
    {
        var failures = new List<string>();
        if (options.Interval != TimeSpan.Zero && (options.Interval < TimeSpan.FromMilliseconds(10) || options.Interval > TimeSpan.FromSeconds(10)))
        {
            failures.Add($"{HorizonOptions.Section}:Interval: {options.Interval} must be 00:00:00 (off) or between 00:00:00.010 and 00:00:10");
        }

        if (string.IsNullOrWhiteSpace(options.Key))
        {
            failures.Add($"{HorizonOptions.Section}:Key must name a Redis key");
        }

        if (options.ReadyAge <= TimeSpan.Zero)
        {
            failures.Add($"{HorizonOptions.Section}:ReadyAge: {options.ReadyAge} must be above zero");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
