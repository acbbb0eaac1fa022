using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The service runs on a role with LOGIN REPLICATION and SELECT on the published tables, nothing more, once an
/// administrator has created the publication (creating one needs the tables' owner). Every test runs that way; this
/// one checks that it really is that role on the slot, and that the role can do no more.
/// </summary>
public sealed class LeastPrivilegeTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Fact]
    public async Task ReplicationRoleWithSelectOnly_StreamsAndEvicts()
    {
        var database = fixture.Database;
        var (id, category) = await ShopTable.Products.SeedAsync(database, fixture.Redis);

        Assert.Equal(Servers.ServiceRole, await database.ScalarAsync<string>(
            "SELECT r.usename::text FROM pg_stat_replication r JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = $1",
            database.SlotName));
        await fixture.Redis.SetAsync($"product:{id}", $"product-list:category:{category}");
        await database.ExecuteAsync(ShopTable.Products.Delete, id);
        await fixture.Redis.AssertEvictedAsync($"product:{id}", $"product-list:category:{category}");
    }

    [Fact]
    public async Task ServiceRole_HasNoPrivilegeBeyondLoginReplicationAndSelect()
    {
        var role = Servers.ServiceRole;
        var database = fixture.Database;
        Assert.Equal("t,f,f,f", await database.ScalarAsync<string>(
            "SELECT concat_ws(',', rolreplication, rolsuper, rolcreatedb, rolcreaterole) FROM pg_roles WHERE rolname = $1", role));
        foreach (var privilege in new[] { "INSERT", "UPDATE", "DELETE", "TRUNCATE" })
        {
            Assert.False(await database.ScalarAsync<bool>("SELECT has_table_privilege($1, 'products', $2)", role, privilege), privilege);
        }

        Assert.True(await database.ScalarAsync<bool>("SELECT has_table_privilege($1, 'products', 'SELECT')", role));
    }
}
