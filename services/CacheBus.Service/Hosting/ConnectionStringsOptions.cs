using Microsoft.Extensions.Options;

namespace CacheBus.Service;

/// <summary>Where the servers are. Bound from <c>ConnectionStrings</c>; secrets belong in the environment, not in files.</summary>
public sealed class ConnectionStringsOptions
{
    public const string Section = "ConnectionStrings";

    /// <summary>Npgsql connection string of the database whose changes are streamed.</summary>
    public string? Postgres { get; set; }

    /// <summary>RabbitMQ address, for example <c>amqp://user:password@host:5672/vhost</c>.</summary>
    public string? RabbitMq { get; set; }

    /// <summary>StackExchange.Redis configuration string, for example <c>127.0.0.1:6379</c>.</summary>
    public string? Redis { get; set; }

    /// <summary>memcached servers, <c>host:port[,host:port...]</c>; optional (sessions live there).</summary>
    public string? Memcached { get; set; }
}

/// <summary>Each role needs its own servers; a missing or malformed address names its setting.</summary>
internal sealed class ConnectionStringsValidator(IOptions<CacheBusOptions> cacheBus) : IValidateOptions<ConnectionStringsOptions>
{
    public ValidateOptionsResult Validate(string? name, ConnectionStringsOptions options)
    {
        var role = cacheBus.Value.Role;
        var failures = new List<string>();
        if (role.HasFlag(CacheBusRole.Listener) && string.IsNullOrWhiteSpace(options.Postgres))
        {
            failures.Add($"{ConnectionStringsOptions.Section}:Postgres: required by the listener role");
        }

        if (!Uri.TryCreate(options.RabbitMq, UriKind.Absolute, out var rabbit) || rabbit.Scheme is not ("amqp" or "amqps"))
        {
            failures.Add($"{ConnectionStringsOptions.Section}:RabbitMq: must be an amqp:// or amqps:// address");
        }

        // The consumers' caches, and where the listener records its position (Replication/SlotPosition.cs).
        if (string.IsNullOrWhiteSpace(options.Redis))
        {
            failures.Add($"{ConnectionStringsOptions.Section}:Redis: required by every role");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}
