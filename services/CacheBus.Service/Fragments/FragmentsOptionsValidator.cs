using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Fragments;

internal sealed class FragmentsOptionsValidator : IValidateOptions<FragmentsOptions>
{
    public ValidateOptionsResult Validate(string? name, FragmentsOptions options)
    {
        var failures = new List<string>();
        if (options.Policies.Count > 0 && string.IsNullOrWhiteSpace(options.Token))
        {
            // Without it every warm is answered 403 by the Django view and counted as a failure, forever.
            failures.Add($"{FragmentsOptions.Section}:Token: required when {FragmentsOptions.Section}:Policies has a policy; "
                + $"the Django view refuses a fetch without it (set it in the environment: CacheBus__Fragments__Token)");
        }

        foreach (var (fragment, policy) in options.Policies)
        {
            var path = $"{FragmentsOptions.Section}:Policies:{fragment}";
            try
            {
                // The URL is sent as built: values are escaped, its own text is not, so that text must need no escaping.
                var template = KeyTemplate.ParseUrl(policy.OriginUrl);
                var sample = template.Render(template.Columns.Distinct().ToDictionary(c => c, string? (_) => "x"));
                if (!Uri.IsWellFormedUriString(sample, UriKind.Absolute) || new Uri(sample).Scheme is not ("http" or "https"))
                {
                    failures.Add($"{path}:OriginUrl: '{policy.OriginUrl}' is not a well-formed absolute http(s) URL (write a space as %20, a brace as %7B)");
                }
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

            if (policy.MaxConcurrentWarms < 1 || policy.MaxFetchesPerSecond < 1 || policy.Retries < 0 || policy.EarlyRefreshBeta < 0)
            {
                failures.Add($"{path}: MaxConcurrentWarms and MaxFetchesPerSecond must be positive; Retries and EarlyRefreshBeta not negative");
            }

            ValidateBounds(path, policy, failures);
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private static void ValidateBounds(string path, FragmentPolicyOptions policy, List<string> failures)
    {
        // A fetch allowed to take as long as the shortest TTL it stores (Ttl - Jitter) can never be early enough: the
        // early refresher starts a refresh about one fetch ahead of expiry, and a warm on change would bring a fragment
        // that is due again at once.
        if (policy.Timeout <= TimeSpan.Zero || policy.Timeout > FragmentPolicyOptions.MaxTimeout)
        {
            failures.Add($"{path}:Timeout: {policy.Timeout} must be positive and at most {FragmentPolicyOptions.MaxTimeout}");
        }
        else if (policy.Ttl > policy.Jitter && policy.Timeout >= policy.Ttl - policy.Jitter)
        {
            failures.Add($"{path}:Timeout: {policy.Timeout} must be shorter than the shortest TTL a warm stores, Ttl - Jitter ({policy.Ttl - policy.Jitter})");
        }

        // Negative, it would shorten the stored TTL to nothing (Redis refuses a non-positive expiry).
        if (policy.StaleWhileRevalidate < TimeSpan.Zero || policy.StaleWhileRevalidate > FragmentPolicyOptions.MaxStaleWhileRevalidate)
        {
            failures.Add($"{path}:StaleWhileRevalidate: {policy.StaleWhileRevalidate} must be between 00:00:00 and {FragmentPolicyOptions.MaxStaleWhileRevalidate}");
        }

        // Every running warm holds a buffer of MaxBytes + 1 (int.MaxValue would overflow it).
        if (policy.MaxBytes < 1 || policy.MaxBytes > FragmentPolicyOptions.MaxMaxBytes)
        {
            failures.Add($"{path}:MaxBytes: {policy.MaxBytes} must be between 1 and {FragmentPolicyOptions.MaxMaxBytes}");
        }
    }
}
