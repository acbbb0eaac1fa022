using Microsoft.Extensions.Options;

namespace CacheBus.Service.Memcached;

/// <summary>Every mistake in <see cref="MemcachedClientOptions"/> at once, each naming its setting.</summary>
internal sealed class MemcachedClientOptionsValidator : IValidateOptions<MemcachedClientOptions>
{
    private static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(5);

    public ValidateOptionsResult Validate(string? name, MemcachedClientOptions options)
    {
        const string Section = MemcachedClientOptions.Section;
        var failures = new List<string>();
        if (options.Servers.Length == 0)
        {
            failures.Add($"{Section}:Servers: name at least one memcached node as host:port");
        }

        for (var i = 0; i < options.Servers.Length; i++)
        {
            if (!MemcachedEndpoint.TryParse(options.Servers[i], out _))
            {
                failures.Add($"{Section}:Servers:{i}: '{options.Servers[i]}' is not host:port (port 1-65535)");
            }
        }

        if (options.PoolSizePerServer is < 1 or > 1024)
        {
            failures.Add($"{Section}:PoolSizePerServer: {options.PoolSizePerServer} must be between 1 and 1024");
        }

        if (options.ConnectTimeout <= TimeSpan.Zero || options.ConnectTimeout > MaxTimeout)
        {
            failures.Add($"{Section}:ConnectTimeout: {options.ConnectTimeout} must be above zero and at most {MaxTimeout}");
        }

        if (options.OperationTimeout <= TimeSpan.Zero || options.OperationTimeout > MaxTimeout)
        {
            failures.Add($"{Section}:OperationTimeout: {options.OperationTimeout} must be above zero and at most {MaxTimeout}");
        }

        // memcached's -I accepts at most 1 GB.
        if (options.MaxValueSize is < 1 or > 1024 * 1024 * 1024)
        {
            failures.Add($"{Section}:MaxValueSize: {options.MaxValueSize} must be between 1 and 1073741824 bytes");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
