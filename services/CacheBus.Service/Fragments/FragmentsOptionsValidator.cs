using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Fragments;

internal sealed class FragmentsOptionsValidator : IValidateOptions<FragmentsOptions>
{
    public ValidateOptionsResult Validate(string? name, FragmentsOptions options)
    {
        var failures = new List<string>();
        foreach (var (fragment, policy) in options.Policies)
        {
            var path = $"{FragmentsOptions.Section}:Policies:{fragment}";
            try
            {
                KeyTemplate.Parse(policy.OriginUrl);
            }
            catch (FormatException ex)
            {
                failures.Add($"{path}:OriginUrl: '{policy.OriginUrl}': {ex.Message}");
            }

            if (policy.AllowedOrigins.Count == 0)
            {
                failures.Add($"{path}:AllowedOrigins: name the origins CacheBus may fetch from, for example https://shop.example.com");
            }

            foreach (var origin in policy.AllowedOrigins.Where(o => !Uri.TryCreate(o, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https")))
            {
                failures.Add($"{path}:AllowedOrigins: '{origin}' is not an http(s) origin");
            }

            if (policy.Ttl <= TimeSpan.Zero || policy.Jitter < TimeSpan.Zero || policy.Jitter >= policy.Ttl)
            {
                failures.Add($"{path}:Ttl: {policy.Ttl} must be positive and longer than Jitter ({policy.Jitter})");
            }

            if (policy.CoalesceWindow < TimeSpan.Zero || policy.CoalesceWindow > TimeSpan.FromSeconds(10))
            {
                failures.Add($"{path}:CoalesceWindow: {policy.CoalesceWindow} must be between 00:00:00 and 00:00:10");
            }

            if (policy.MaxConcurrentWarms < 1 || policy.MaxFetchesPerSecond < 1 || policy.MaxBytes < 1 || policy.Retries < 0 || policy.EarlyRefreshBeta < 0)
            {
                failures.Add($"{path}: MaxConcurrentWarms, MaxFetchesPerSecond and MaxBytes must be positive; Retries and EarlyRefreshBeta not negative");
            }
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
