using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Metrics;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests;

public sealed class TagRulesFixture() : CacheBusFixture(new Dictionary<string, string?>
{
    ["CacheBus:Rules:Tables:products:Tags:0"] = "category:{category_id}",
    ["CacheBus:Rules:Tables:products:Namespaces:0"] = "product-list:{category_id}",
    ["CacheBus:Rules:Tables:products:Namespaces:1"] = "products",
    ["CacheBus:Rules:Tables:orders:Tags:0"] = "orders",
    ["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00",
});

/// <summary>Lists that cannot be enumerated: tags empty every registered key, namespaces move to a new generation.</summary>
public sealed class TagsAndNamespacesTests(TagRulesFixture fixture) : IClassFixture<TagRulesFixture>, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect($"{Servers.Redis},allowAdmin=true");

    private IDatabase Db => _redis.GetDatabase();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Update_TaggedCategory_DeletesEveryKeyRegisteredUnderTheTagAndTheTag()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var pages = Enumerable.Range(1, 50).Select(page => $"product-list:{category}:filter:red:page:{page}").ToArray();
        var otherTagged = $"product-list:{category + 1}:page:1";
        await fixture.Redis.SetAsync([.. pages, otherTagged]);
        await Db.SetAddAsync($"tag:category:{category}", [.. pages.Select(p => (RedisValue)p)]);
        await Db.SetAddAsync($"tag:category:{category + 1}", otherTagged);

        await fixture.Database.ExecuteAsync(ShopTable.Products.Update, id);

        await fixture.Redis.AssertEvictedAsync([.. pages, $"tag:category:{category}"]);
        Assert.True(await fixture.Redis.ExistsAsync(otherTagged));
    }

    [Fact]
    public async Task Update_ProductMovedCategory_EmptiesBothTags()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var newCategory = UniqueIds.Next();
        await fixture.Redis.SetAsync("old-list", "new-list");
        await Db.SetAddAsync($"tag:category:{category}", "old-list");
        await Db.SetAddAsync($"tag:category:{newCategory}", "new-list");

        await fixture.Database.ExecuteAsync("UPDATE products SET category_id = $2 WHERE id = $1", id, newCategory);

        await fixture.Redis.AssertEvictedAsync("old-list", "new-list");
    }

    [Fact]
    public async Task Update_NamespacedCategory_MovesTheNamespaceToANewGeneration()
    {
        var (id, category) = await ShopTable.Products.SeedAsync(fixture.Database, fixture.Redis);
        var generation = (long)await Db.StringGetAsync($"ns:product-list:{category}");

        await fixture.Database.ExecuteAsync(ShopTable.Products.Update, id);

        await Eventually.AssertAsync(
            async () => (long)await Db.StringGetAsync($"ns:product-list:{category}") == generation + 1,
            "the namespace generation incremented once");
    }

    [Fact]
    public async Task Truncate_BumpsTheTablesConstantNamespaceAndEmptiesItsConstantTag()
    {
        var generation = (long)await Db.StringGetAsync("ns:products");
        await fixture.Redis.SetAsync("orders-page-1");
        await Db.SetAddAsync("tag:orders", "orders-page-1");

        await fixture.Database.ExecuteAsync("TRUNCATE products, orders");

        await fixture.Redis.AssertEvictedAsync("orders-page-1", "tag:orders");
        await Eventually.AssertAsync(async () => (long)await Db.StringGetAsync("ns:products") > generation, "the products namespace bumped");
    }

    [Fact]
    public async Task Transaction_KeyTouchedManyTimes_IsSentOnce_AndTheTransactionsKeysGoInOneCommand()
    {
        var users = new[] { UniqueIds.Next(), UniqueIds.Next(), UniqueIds.Next() };
        // The inserts evict the keys too: once that is seen, only the transaction below can evict them again.
        await fixture.Redis.SetAsync([.. users.Select(user => $"profile:{user}")]);
        foreach (var user in users)
        {
            await fixture.Database.ExecuteAsync("INSERT INTO profiles (user_id, display_name) VALUES ($1, 'Ada')", user);
        }

        await fixture.Redis.AssertEvictedAsync([.. users.Select(user => $"profile:{user}")]);
        foreach (var user in users)
        {
            await fixture.Redis.SetAsync($"profile:{user}");
        }

        var deletesBefore = await DeleteCallsAsync();
        var keysBefore = CacheBusMetrics.Evictions.WithLabels("redis", "key").Value;

        // A hundred changes to the first profile, one to each of the others, in one transaction.
        var updates = Enumerable.Repeat(users[0], 100).Concat(users[1..]).Select(user => $"UPDATE profiles SET display_name = display_name || '.' WHERE user_id = {user};");
        await fixture.Database.ExecuteAsync($"DO $$ BEGIN {string.Concat(updates)} END $$");
        await fixture.Redis.AssertEvictedAsync([.. users.Select(user => $"profile:{user}")]);

        // profiles has one rule, profile:{user_id}: 102 changes name 3 keys, sent once each and deleted by one UNLINK
        // (and their leases by one more, sent first).
        await Eventually.AssertAsync(
            () => Task.FromResult(CacheBusMetrics.Evictions.WithLabels("redis", "key").Value - keysBefore == 3), "3 keys counted as evicted");
        Assert.Equal(3, CacheBusMetrics.Evictions.WithLabels("redis", "key").Value - keysBefore);
        Assert.Equal(deletesBefore + 2, await DeleteCallsAsync());
    }

    // StackExchange.Redis deletes with UNLINK where the server has it, DEL elsewhere: count both.
    private async Task<long> DeleteCallsAsync()
    {
        var info = await _redis.GetServer(_redis.GetEndPoints()[0]).InfoRawAsync("commandstats");
        return info!.Split('\n')
            .Where(l => l.StartsWith("cmdstat_del:", StringComparison.Ordinal) || l.StartsWith("cmdstat_unlink:", StringComparison.Ordinal))
            .Sum(l => long.Parse(l.Split("calls=")[1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture));
    }
}
