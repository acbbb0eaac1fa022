using Npgsql;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// The real servers the tests run against, found through the variables that <c>compose/local/servers.sh env</c>
/// prints. A missing variable fails the test that needs it: no server means a red test, never a skipped one.
/// </summary>
internal static class Servers
{
    /// <summary>The service's own role: LOGIN REPLICATION and a password, SELECT only where a database granted it.</summary>
    public static string Postgres => Required("CACHEBUS_PG");

    /// <summary>The administrator who creates databases, tables and publications, and grants the service SELECT.</summary>
    public static string PostgresAdmin => Required("CACHEBUS_PG_ADMIN");

    public static string ServiceRole => new NpgsqlConnectionStringBuilder(Postgres).Username!;

    public static string RabbitMq => Required("CACHEBUS_RABBITMQ");

    public static string Redis => Required("CACHEBUS_REDIS");

    /// <summary>Every memcached node, as ConnectionStrings:Memcached takes them (<c>a,b</c>): a site has several.</summary>
    public static string Memcached => Required("CACHEBUS_MEMCACHED");

    /// <summary>The nodes one by one; the first is the one client-level tests talk to.</summary>
    public static string[] MemcachedNodes => Memcached.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Every password the servers ask for: none may appear in a log.</summary>
    public static IEnumerable<string> Secrets =>
    [
        new NpgsqlConnectionStringBuilder(Postgres).Password!,
        new NpgsqlConnectionStringBuilder(PostgresAdmin).Password!,
        Uri.UnescapeDataString(new Uri(RabbitMq).UserInfo.Split(':')[1]),
        StackExchange.Redis.ConfigurationOptions.Parse(Redis).Password!,
    ];

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Start the servers with `compose/local/servers.sh up` and load their addresses with " +
                "`eval \"$(compose/local/servers.sh env)\"`, or run every test with `compose/local/test.sh`.");
}
