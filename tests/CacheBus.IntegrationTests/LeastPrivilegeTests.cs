using CacheBus.IntegrationTests.Infrastructure;
using Npgsql;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The listener needs no more than a role with LOGIN REPLICATION and SELECT on the published tables, once an
/// administrator has created the publication (creating one needs the tables' owner).
/// </summary>
public sealed class LeastPrivilegeTests : IAsyncLifetime
{
    private readonly string _role = $"cachebus_listener_{Guid.NewGuid():N}"[..40];
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        await _database.ExecuteAsync($"CREATE ROLE {_role} LOGIN REPLICATION PASSWORD 'listener'");
        await _database.ExecuteAsync($"GRANT SELECT ON products, profiles, orders TO {_role}");
        await _database.ExecuteAsync("CREATE PUBLICATION cachebus FOR TABLE products, profiles, orders");
    }

    public async ValueTask DisposeAsync()
    {
        await _database.ExecuteAsync($"DROP OWNED BY {_role}");
        await _database.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(Servers.Postgres);
        await admin.CreateCommand($"DROP ROLE {_role}").ExecuteNonQueryAsync();
    }

    [Fact]
    public async Task ReplicationRoleWithSelectOnly_StreamsAndEvicts()
    {
        var connection = new NpgsqlConnectionStringBuilder(_database.ConnectionString) { Username = _role, Password = "listener" };
        await using var service = await CacheBusService.StartAsync(_database, new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = connection.ConnectionString,
        });
        await using var redis = new RedisKeys();

        var (id, category) = await ShopTable.Products.SeedAsync(_database, redis);

        Assert.Equal(_role, await _database.ScalarAsync<string>(
            "SELECT r.usename::text FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = $1",
            _database.SlotName));
        await redis.SetAsync($"product:{id}", $"product-list:category:{category}");
        await _database.ExecuteAsync(ShopTable.Products.Delete, id);
        await redis.AssertEvictedAsync($"product:{id}", $"product-list:category:{category}");
    }
}
