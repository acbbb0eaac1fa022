using System.Runtime.CompilerServices;
using StackExchange.Redis;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Finds every user's session registry (the Redis sets the Django app keeps under RegistryKey), for a change that
/// names no user: a TRUNCATE of the sessions table. SCAN, not KEYS, so Redis keeps serving while a large keyspace is
/// walked; <c>TYPE set</c>, so a key that merely shares the prefix is not taken for a registry.
/// </summary>
internal sealed class SessionRegistries(SessionPolicy policy, IConnectionMultiplexer redis)
{
    private const int PageSize = 1_000;

    public async IAsyncEnumerable<string> UsersAsync([EnumeratorCancellation] CancellationToken ct)
    {
        var database = redis.GetDatabase().Database;

        // Each primary holds its own keys (Redis Cluster); a replica holds copies of them.
        foreach (var server in redis.GetServers().Where(s => !s.IsReplica))
        {
            var cursor = "0";
            do
            {
                ct.ThrowIfCancellationRequested();
                var page = (RedisResult[])(await server.ExecuteAsync(
                    database, "SCAN", [cursor, "MATCH", policy.RegistryPattern, "COUNT", PageSize, "TYPE", "set"]))!;
                cursor = (string)page[0]!;
                foreach (var key in (string[])page[1]!)
                {
                    if (policy.RegistryUser(key) is { } user)
                    {
                        yield return user;
                    }
                }
            }
            while (cursor != "0");
        }
    }
}
