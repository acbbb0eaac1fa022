using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.IntegrationTests.Memcached;
using CacheBus.Service.Memcached;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Sessions;

/// <summary>
/// The sessions policy on the profiles table (plus a nullable <c>bio</c> column in the snapshot), one change per bus
/// message so that a transaction's changes travel in separate messages, and registries under a prefix of their own.
/// </summary>
public sealed class SessionsFixture() : CacheBusFixture(Overrides, SetupSql)
{
    internal const string SetupSql = "ALTER TABLE profiles ADD COLUMN bio text";

    public static readonly string RegistryPrefix = $"test:{Guid.NewGuid():N}:sessions:";

    /// <summary>The settings of this policy, for a test that runs CacheBus as its own process; the table needs <see cref="SetupSql"/>.</summary>
    internal static Dictionary<string, string?> Overrides => new()
    {
        ["CacheBus:Replication:MaxBatchSize"] = "1",
        ["CacheBus:Django:Caches:sessions:Version"] = "1",
        ["CacheBus:Sessions:Table"] = "profiles",
        ["CacheBus:Sessions:SecurityColumns:0"] = "is_active",
        ["CacheBus:Sessions:SecurityColumns:1"] = "password_hash",
        ["CacheBus:Sessions:SnapshotColumns:0"] = "display_name",
        ["CacheBus:Sessions:SnapshotColumns:1"] = "bio",
        ["CacheBus:Sessions:DjangoCache"] = "sessions",
        ["CacheBus:Sessions:SessionTtl"] = "00:10:00",
        ["CacheBus:Sessions:RegistryKey"] = RegistryPrefix + "{user_id}",
    };
}

/// <summary>Sessions and snapshots follow the profile rows in the real memcached, with registries in the real Redis.</summary>
public sealed class SessionConsumerTests(SessionsFixture fixture) : IClassFixture<SessionsFixture>, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);
    private readonly MemcachedClient[] _nodes = [.. Servers.MemcachedNodes.Select(node => TestMemcached.Client([node]))];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private SessionPolicy Policy => fixture.Service.Services.GetRequiredService<SessionPolicy>();

    private MemcachedClient ServiceMemcached => fixture.Service.Services.GetRequiredService<MemcachedClient>();

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _nodes)
        {
            await node.DisposeAsync();
        }

        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task ColumnSetToNull_ReplacesTheValueInTheSnapshot()
    {
        var user = await InsertProfileAsync(bio: "Writes compilers");

        await fixture.Database.ExecuteAsync("UPDATE profiles SET bio = NULL WHERE user_id = $1", user);

        await AssertSnapshotAsync(user, s => s.TryGetValue("bio", out var bio) && bio is null, "bio NULL in the snapshot");
    }

    [Fact]
    public async Task TwoChangesToOneUserInOneTransaction_SplitAcrossMessages_BothApply()
    {
        var user = await InsertProfileAsync();

        await using (var connection = await fixture.Database.DataSource.OpenConnectionAsync(Cancel))
        await using (var transaction = await connection.BeginTransactionAsync(Cancel))
        {
            foreach (var name in new[] { "First", "Second" })
            {
                await using var update = new NpgsqlCommand("UPDATE profiles SET display_name = $1 WHERE user_id = $2", connection, transaction);
                update.Parameters.Add(new NpgsqlParameter { Value = name });
                update.Parameters.Add(new NpgsqlParameter { Value = user });
                await update.ExecuteNonQueryAsync(Cancel);
            }

            await transaction.CommitAsync(Cancel);
        }

        await AssertSnapshotAsync(user, s => s["display_name"] == "Second", "the transaction's second change in the snapshot");
    }

    [Fact]
    public async Task TruncatedSnapshotInMemcached_IsReplacedAtOnce()
    {
        var user = await InsertProfileAsync();
        await ServiceMemcached.SetAsync(Policy.SnapshotKey($"{user}"), Convert.FromHexString("80027d2858050000006162"), PickledSnapshot.MemcachedFlags, TestMemcached.Ttl, cancellationToken: Cancel);

        await fixture.Database.ExecuteAsync("UPDATE profiles SET display_name = 'Grace' WHERE user_id = $1", user);

        await AssertSnapshotAsync(user, s => s["display_name"] == "Grace", "the truncated snapshot replaced", ErrorQueue.AtOnce);
    }

    [Fact]
    public async Task Truncate_RevokesEverySessionOfEveryRegistry_OnEveryNode()
    {
        var users = new[] { UniqueIds.Next(), UniqueIds.Next(), UniqueIds.Next() };
        var sessions = new List<string>();
        foreach (var user in users)
        {
            sessions.AddRange(await LogInAsync($"{user}", $"a{user}", $"b{user}"));
        }

        var otherRegistry = $"test:{Guid.NewGuid():N}:other:{users[0]}";
        await _redis.GetDatabase().SetAddAsync(otherRegistry, "kept");
        var kept = Policy.SessionKey("kept" + Guid.NewGuid().ToString("N"));
        await PutOnEveryNodeAsync(kept);

        await fixture.Database.ExecuteAsync("TRUNCATE profiles");

        await Eventually.AssertAsync(async () => await CountOnNodesAsync(sessions) == 0, "every registered session deleted from every memcached node");
        foreach (var user in users)
        {
            Assert.False(await _redis.GetDatabase().KeyExistsAsync(Policy.RegistryKey($"{user}")), $"the registry of {user} cleared");
        }

        Assert.True(await _redis.GetDatabase().SetContainsAsync(otherRegistry, "kept")); // not a sessions registry
        Assert.Equal(_nodes.Length, await CountOnNodesAsync([kept]));
    }

    [Fact]
    public async Task PasswordChange_RevokesTheSessions_AndTheHashNeverTravels()
    {
        var user = await InsertProfileAsync();
        var sessions = await LogInAsync($"{user}", $"pw{user}");
        var hash = $"pbkdf2_sha256$600000${Guid.NewGuid():N}";
        await using var tap = await BusTap.StartAsync("cachebus.keys-invalidated", "cachebus.sessions-changed", "cachebus.rows-changed");

        await fixture.Database.ExecuteAsync("UPDATE profiles SET password_hash = $2, display_name = 'Renamed' WHERE user_id = $1", user, hash);

        await Eventually.AssertAsync(async () => await CountOnNodesAsync(sessions) == 0, "the sessions revoked");
        await Eventually.AssertAsync(
            () => Task.FromResult(tap.Bodies.Any(b => b.Contains($"\"userId\":\"{user}\"", StringComparison.Ordinal) && b.Contains("\"revoke\":true", StringComparison.Ordinal))),
            "the revoke seen on the bus");
        Assert.All(tap.Bodies, body => Assert.DoesNotContain(hash, body, StringComparison.Ordinal));
        Assert.All(tap.Bodies, body => Assert.DoesNotContain("password_hash", body, StringComparison.Ordinal));
    }

    [Theory]
    [InlineData("a session key with spaces")]
    [InlineData("k251")]
    public async Task InvalidSessionKey_GoesToTheErrorQueueAtOnce_AfterTheValidSessionsAreRevoked(string badSession)
    {
        badSession = badSession == "k251" ? new string('k', 251) : badSession;
        var user = await InsertProfileAsync();
        var valid = await LogInAsync($"{user}", $"valid{user}");
        await _redis.GetDatabase().SetAddAsync(Policy.RegistryKey($"{user}"), badSession);

        await fixture.Database.ExecuteAsync("DELETE FROM profiles WHERE user_id = $1", user);

        await Eventually.AssertAsync(async () => await CountOnNodesAsync(valid) == 0, "the valid session revoked");
        await ErrorQueue.AssertHoldsAsync("cachebus-memcached-sessions", $"\"userId\":\"{user}\"", ErrorQueue.AtOnce, badSession[..20]);

        var next = await InsertProfileAsync();
        var nextSessions = await LogInAsync($"{next}", $"next{next}");
        await fixture.Database.ExecuteAsync("DELETE FROM profiles WHERE user_id = $1", next);
        await Eventually.AssertAsync(async () => await CountOnNodesAsync(nextSessions) == 0, "the next message applied");
    }

    private async Task<long> InsertProfileAsync(string? bio = null)
    {
        var user = UniqueIds.Next();
        await fixture.Database.ExecuteAsync("INSERT INTO profiles (user_id, display_name, bio) VALUES ($1, 'Ada', $2)", user, bio);
        await AssertSnapshotAsync(user, s => s["display_name"] == "Ada" && s["bio"] == bio, "the inserted profile's snapshot");
        return user;
    }

    /// <summary>What the Django app does on login: the session in memcached (on every node here), its key in the user's registry.</summary>
    private async Task<string[]> LogInAsync(string user, params string[] sessionKeys)
    {
        foreach (var session in sessionKeys)
        {
            await PutOnEveryNodeAsync(Policy.SessionKey(session));
            await _redis.GetDatabase().SetAddAsync(Policy.RegistryKey(user), session);
        }

        return [.. sessionKeys.Select(Policy.SessionKey)];
    }

    private async Task PutOnEveryNodeAsync(string key)
    {
        foreach (var node in _nodes)
        {
            await node.SetAsync(key, "session"u8.ToArray(), 1, TestMemcached.Ttl, cancellationToken: Cancel);
        }
    }

    private async Task<int> CountOnNodesAsync(IEnumerable<string> keys)
    {
        var count = 0;
        foreach (var key in keys)
        {
            foreach (var node in _nodes)
            {
                count += await node.GetAsync(key, Cancel) is null ? 0 : 1;
            }
        }

        return count;
    }

    private Task AssertSnapshotAsync(long user, Func<Dictionary<string, string?>, bool> holds, string what, TimeSpan? within = null) =>
        Eventually.AssertAsync(
            async () => await ServiceMemcached.GetAsync(Policy.SnapshotKey($"{user}"), Cancel) is { } item
                && item.Flags == PickledSnapshot.MemcachedFlags
                && TryRead(item) is { } snapshot && holds(snapshot),
            what,
            within);

    private static Dictionary<string, string?>? TryRead(MemcachedItem item)
    {
        try
        {
            return PickledSnapshot.Read(item.Value.Span);
        }
        catch (FormatException)
        {
            return null; // the truncated pickle a test wrote, not yet replaced
        }
    }
}
