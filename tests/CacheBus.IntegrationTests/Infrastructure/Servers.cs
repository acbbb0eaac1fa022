namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// The real servers the tests run against, found through the variables that <c>compose/local/servers.sh env</c>
/// prints. A missing variable fails the test that needs it: no server means a red test, never a skipped one.
/// </summary>
internal static class Servers
{
    public static string Postgres => Required("CACHEBUS_PG");

    public static string RabbitMq => Required("CACHEBUS_RABBITMQ");

    public static string Redis => Required("CACHEBUS_REDIS");

    public static string Memcached => Required("CACHEBUS_MEMCACHED");

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException(
                $"{name} is not set. Start the servers with `compose/local/servers.sh up` and load their addresses with " +
                "`eval \"$(compose/local/servers.sh env)\"`, or run every test with `compose/local/test.sh`.");
}
