using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>Committed changes to each demo table evict that row's keys from the real Redis.</summary>
public sealed class RowChangeEvictionTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>
{
    [Theory]
    [MemberData(nameof(ShopTable.Names), MemberType = typeof(ShopTable))]
    public async Task Insert_Committed_EvictsTheRowsKeys(string table)
    {
        var shop = ShopTable.Named(table);
        var (id, other) = (UniqueIds.Next(), UniqueIds.Next());
        await fixture.Redis.SetAsync(shop.Keys(id, other));

        await fixture.Database.ExecuteAsync(shop.Insert, id, other);

        await fixture.Redis.AssertEvictedAsync(shop.Keys(id, other));
    }

    [Theory]
    [MemberData(nameof(ShopTable.Names), MemberType = typeof(ShopTable))]
    public async Task Update_Committed_EvictsTheRowsKeys(string table)
    {
        var shop = ShopTable.Named(table);
        var (id, other) = await shop.SeedAsync(fixture.Database, fixture.Redis);
        await fixture.Redis.SetAsync(shop.Keys(id, other));

        await fixture.Database.ExecuteAsync(shop.Update, id);

        await fixture.Redis.AssertEvictedAsync(shop.Keys(id, other));
    }

    [Theory]
    [MemberData(nameof(ShopTable.Names), MemberType = typeof(ShopTable))]
    public async Task Delete_Committed_EvictsTheRowsKeys(string table)
    {
        var shop = ShopTable.Named(table);
        var (id, other) = await shop.SeedAsync(fixture.Database, fixture.Redis);
        await fixture.Redis.SetAsync(shop.Keys(id, other));

        await fixture.Database.ExecuteAsync(shop.Delete, id);

        await fixture.Redis.AssertEvictedAsync(shop.Keys(id, other));
    }

    [Fact]
    public async Task Update_ProductMovedToAnotherCategory_EvictsBothCategoryLists()
    {
        var (id, oldCategory) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var newCategory = UniqueIds.Next();
        string[] keys = [$"product:{id}", $"product-list:category:{oldCategory}", $"product-list:category:{newCategory}"];
        await fixture.Redis.SetAsync(keys);

        await fixture.Database.ExecuteAsync("UPDATE products SET category_id = $2 WHERE id = $1", id, newCategory);

        await fixture.Redis.AssertEvictedAsync(keys);
    }

    [Fact]
    public async Task Update_ManyRowsInOneStatement_EvictsEveryRowsKey()
    {
        var ids = UniqueIds.Block(200);
        var category = UniqueIds.Next();
        await fixture.Database.ExecuteAsync(
            "INSERT INTO products (id, category_id, name, price) SELECT id, $2, 'Mug', 5 FROM unnest($1::bigint[]) AS id", ids, category);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        await fixture.Redis.SetAsync(keys);

        await fixture.Database.ExecuteAsync("UPDATE products SET price = price * 2 WHERE id = ANY ($1)", ids);

        await fixture.Redis.AssertEvictedAsync(keys);
    }

    [Fact]
    public async Task RolledBackTransaction_EvictsNothing()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var (sentinel, _) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var keys = ShopTable.Products.Keys(id, category);
        await fixture.Redis.SetAsync([.. keys, $"product:{sentinel}"]);

        await using (var connection = await fixture.Database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken))
        await using (var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken))
        {
            await using var update = new Npgsql.NpgsqlCommand("UPDATE products SET price = 0 WHERE id = $1", connection, transaction);
            update.Parameters.Add(new Npgsql.NpgsqlParameter { Value = id });
            await update.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
            await transaction.RollbackAsync(TestContext.Current.CancellationToken);
        }

        // A change committed after the rollback is applied; anything from the rolled-back one would be applied too.
        await fixture.Database.ExecuteAsync(ShopTable.Products.Update, sentinel);
        await fixture.Redis.AssertEvictedAsync($"product:{sentinel}");
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.Equal(keys.Length, await fixture.Redis.CountExistingAsync(keys));
    }
}
