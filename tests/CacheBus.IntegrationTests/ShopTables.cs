using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// How the demo tables are written and which keys the example rules of appsettings.json give each row:
/// products -> product:{id}, product-list:category:{category_id}; profiles -> profile:{user_id};
/// orders -> order:{id}, order-history:{user_id}.
/// </summary>
internal sealed record ShopTable(string Name, string Insert, string Update, string Delete, Func<long, long, string[]> Keys)
{
    public static readonly ShopTable Products = new(
        "products",
        "INSERT INTO products (id, category_id, name, price) VALUES ($1, $2, 'Desk lamp', 19.90)",
        "UPDATE products SET price = price + 1 WHERE id = $1",
        "DELETE FROM products WHERE id = $1",
        (id, category) => [$"product:{id}", $"product-list:category:{category}"]);

    public static readonly ShopTable Profiles = new(
        "profiles",
        "INSERT INTO profiles (user_id, display_name) VALUES ($1, 'Ada ' || $2::text)",
        "UPDATE profiles SET display_name = 'Grace' WHERE user_id = $1",
        "DELETE FROM profiles WHERE user_id = $1",
        (userId, _) => [$"profile:{userId}"]);

    public static readonly ShopTable Orders = new(
        "orders",
        "INSERT INTO orders (id, user_id, status, total) VALUES ($1, $2, 'new', 42.00)",
        "UPDATE orders SET status = 'paid' WHERE id = $1",
        "DELETE FROM orders WHERE id = $1",
        (id, userId) => [$"order:{id}", $"order-history:{userId}"]);

    public static TheoryData<string> Names => ["products", "profiles", "orders"];

    public static ShopTable Named(string name) => name switch
    {
        "products" => Products,
        "profiles" => Profiles,
        "orders" => Orders,
        _ => throw new ArgumentOutOfRangeException(nameof(name), name, null),
    };

    /// <summary>
    /// Inserts a row and waits until its insert has been applied (its keys evicted), so that a later assertion
    /// cannot be satisfied by the insert's own eviction arriving late.
    /// </summary>
    public async Task<(long Id, long Other)> SeedAsync(TestDatabase database, RedisKeys redis)
    {
        var (id, other) = (UniqueIds.Next(), UniqueIds.Next());
        await redis.SetAsync(Keys(id, other));
        await database.ExecuteAsync(Insert, id, other);
        await redis.AssertEvictedAsync(Keys(id, other));
        return (id, other);
    }
}
