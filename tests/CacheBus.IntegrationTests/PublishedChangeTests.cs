using System.Globalization;
using CacheBus.Contracts;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>The demo rules, with the products table's full rows published for subscribers of one's own.</summary>
public sealed class PublishRowsFixture() : CacheBusFixture(new Dictionary<string, string?> { ["CacheBus:Rules:Tables:products:PublishRows"] = "true" });

/// <summary>What the listener publishes as RowsChanged for a table that opted in, read from the bus as any subscriber would.</summary>
public sealed class PublishedChangeTests(PublishRowsFixture fixture) : IClassFixture<PublishRowsFixture>
{
    private const string RowsExchange = "cachebus.rows-changed";

    [Fact]
    public async Task TableWithoutPublishRows_SendsNoRows_OnlyItsKeys()
    {
        var (product, _) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var order = UniqueIds.Next();
        await fixture.Database.ExecuteAsync("INSERT INTO orders (id, user_id, status, total) VALUES ($1, 1, 'new', 1)", order);
        await using var tap = await BusTap.StartAsync(RowsExchange);
        await fixture.Redis.SetAsync($"order:{order}");

        await fixture.Database.ExecuteAsync("UPDATE orders SET status = 'paid' WHERE id = $1", order);
        await fixture.Redis.AssertEvictedAsync($"order:{order}");
        await fixture.Database.ExecuteAsync(ShopTable.Products.Update, product); // committed after the order's change

        await tap.NextRowAsync("products", product);
        Assert.All(tap.Bodies, body => Assert.DoesNotContain("\"orders\"", body, StringComparison.Ordinal));
    }

    [Fact]
    public async Task Update_PublishesKeyOldAndNewValuesChangedColumnsAndCommitInfo()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        await using var tap = await BusTap.StartAsync(RowsExchange);
        var before = DateTimeOffset.UtcNow.AddSeconds(-5);

        await fixture.Database.ExecuteAsync("UPDATE products SET price = 25.50, category_id = $2 WHERE id = $1", id, category + 1);
        var (xid, lsn) = await CommittedAsync();

        var change = await tap.NextRowAsync("products", id);
        Assert.Equal(("public", RowOperation.Update), (change.Schema, change.Operation));
        Assert.Equal(Text(id), change.Key["id"]);
        Assert.Equal(("19.90", Text(category)), (change.OldValues!["price"], change.OldValues["category_id"]));
        Assert.Equal(("25.50", Text(category + 1)), (change.NewValues!["price"], change.NewValues["category_id"]));
        Assert.Equal(["category_id", "price"], change.ChangedColumns!.Order());
        Assert.Null(change.NewValues["description"]);
        Assert.InRange(change.CommitTime, before, DateTimeOffset.UtcNow.AddSeconds(5));
        Assert.True(change.TransactionId > 0 && change.TransactionId <= xid, $"xid {change.TransactionId} of at most {xid}");
        Assert.True(NpgsqlTypes.NpgsqlLogSequenceNumber.Parse(change.CommitLsn) <= lsn);
    }

    [Fact]
    public async Task Update_UnchangedToastedColumn_IsReportedUnchangedNotNull()
    {
        var (id, _) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);

        // Random text does not compress, so 20 kB of it is stored out of line (TOASTed). The tap sees that update
        // first: started after it, the tap could still receive it late and take it for the next one.
        await using var tap = await BusTap.StartAsync(RowsExchange);
        await fixture.Database.ExecuteAsync(
            "UPDATE products SET description = (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 640)) WHERE id = $1", id);
        Assert.True((await tap.NextRowAsync("products", id)).NewValues!.ContainsKey("description"));
        await fixture.Database.ExecuteAsync("UPDATE products SET price = 1 WHERE id = $1", id);

        var change = await tap.NextRowAsync("products", id);
        Assert.False(change.NewValues!.ContainsKey("description"));
        Assert.Equal(["description"], change.UnchangedToastColumns);
        Assert.Equal("1.00", change.NewValues["price"]);
    }

    [Fact]
    public async Task AddColumn_InTheMiddleOfTheStream_NextChangesCarryIt()
    {
        var (id, _) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        await using var tap = await BusTap.StartAsync(RowsExchange);

        await fixture.Database.ExecuteAsync("ALTER TABLE products ADD COLUMN IF NOT EXISTS colour text");
        await fixture.Database.ExecuteAsync("UPDATE products SET colour = 'teal' WHERE id = $1", id);

        var change = await tap.NextRowAsync("products", id);
        Assert.Equal("teal", change.NewValues!["colour"]);
        Assert.Contains("colour", change.ChangedColumns!);
        await fixture.Redis.SetAsync($"product:{id}");
        await fixture.Database.ExecuteAsync(ShopTable.Products.Update, id);
        await fixture.Redis.AssertEvictedAsync($"product:{id}");
    }

    [Fact]
    public async Task Delete_PublishesTheWholeOldRow()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        await using var tap = await BusTap.StartAsync(RowsExchange);

        await fixture.Database.ExecuteAsync(ShopTable.Products.Delete, id);

        var change = await tap.NextRowAsync("products", id);
        Assert.Equal(RowOperation.Delete, change.Operation);
        Assert.Null(change.NewValues);
        Assert.Equal(Text(category), change.OldValues!["category_id"]);
    }

    private async Task<(uint Xid, NpgsqlTypes.NpgsqlLogSequenceNumber Lsn)> CommittedAsync()
    {
        var xid = await fixture.Database.ScalarAsync<long>("SELECT txid_current() - 1");
        var lsn = await fixture.Database.ScalarAsync<NpgsqlTypes.NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()");
        return ((uint)xid, lsn);
    }

    private static string Text(long value) => value.ToString(CultureInfo.InvariantCulture);
}
