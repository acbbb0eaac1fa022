using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>The explain and invalidate commands, run as an operator runs them, against the real Redis.</summary>
public sealed class OperatorCommandTests : IAsyncDisposable
{
    private static readonly Dictionary<string, string?> Settings = new()
    {
        ["ConnectionStrings:Redis"] = Servers.Redis,
        ["ConnectionStrings:RabbitMq"] = Servers.RabbitMq,
        ["CacheBus:Django:Caches:default:KeyPrefix"] = "shop",
        ["CacheBus:Rules:Tables:products:DjangoCache"] = "default",
        ["CacheBus:Rules:Tables:products:Tags:0"] = "category:{category_id}",
        ["CacheBus:Rules:Tables:products:Pages:0"] = "https://shop.example.com/products/{id}/",
    };

    private readonly RedisKeys _redis = new();

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task Explain_Row_PrintsEveryKeyTagAndPageWithItsSetting()
    {
        var (exitCode, output) = await ServiceProcess.RunAsync(Settings, "explain", "--table", "products", "--row", """{"id": 42, "category_id": 7}""");

        Assert.Equal(0, exitCode);
        Assert.Contains("key       shop:1:product:42  <- product:42  (CacheBus:Rules:Tables:products:Keys:0)", output, StringComparison.Ordinal);
        Assert.Contains("key       shop:1:product-list:category:7", output, StringComparison.Ordinal);
        Assert.Contains("tag       shop:1:tag:category:7", output, StringComparison.Ordinal);
        Assert.Contains("page      shop:1:views.decorators.cache.cache_header..ca4c49a873be4d1402f11a43e57aa060.en-us.UTC", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Explain_RowWithoutAColumn_SaysWhichRuleItCannotFill()
    {
        var (exitCode, output) = await ServiceProcess.RunAsync(Settings, "explain", "--table", "products", "--row", """{"id": 42}""");

        Assert.Equal(0, exitCode);
        Assert.Contains("CacheBus:Rules:Tables:products:Tags:0: the row has no value for category_id", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("prodcts", """{"id": 1}""", "no rules for table public.prodcts")]
    [InlineData("products", """{"id": 1""", "--row is not valid JSON")]
    [InlineData("products", "[1, 2]", "--row must be a JSON object")]
    [InlineData("products", """{"id": [1]}""", "column values must be strings, numbers, booleans or null")]
    public async Task Explain_BadInput_ExitsWithCode2AndSaysWhy(string table, string row, string error)
    {
        var (exitCode, output) = await ServiceProcess.RunAsync(Settings, "explain", "--table", table, "--row", row);

        Assert.Equal(2, exitCode);
        Assert.Contains(error, output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Invalidate_KeysThroughDjangoKeyFunction_DeletesThem()
    {
        var id = UniqueIds.Next();
        await _redis.SetAsync($"shop:1:product:{id}", $"shop:1:other:{id}");

        var (exitCode, output) = await ServiceProcess.RunAsync(
            Settings, "invalidate", "--django-cache", "default", "--key", $"product:{id}", "--key", $"other:{id}");

        Assert.Equal(0, exitCode);
        Assert.Contains("deleted 2 of 2 keys", output, StringComparison.Ordinal);
        Assert.Equal(0, await _redis.CountExistingAsync([$"shop:1:product:{id}", $"shop:1:other:{id}"]));
    }

    [Fact]
    public async Task Invalidate_TableRow_AppliesTheTablesRules()
    {
        var (id, category) = (UniqueIds.Next(), UniqueIds.Next());
        string[] keys = [$"shop:1:product:{id}", $"shop:1:product-list:category:{category}"];
        await _redis.SetAsync(keys);

        var (exitCode, _) = await ServiceProcess.RunAsync(
            Settings, "invalidate", "--table", "products", "--row", $$"""{"id": {{id}}, "category_id": {{category}}}""");

        Assert.Equal(0, exitCode);
        Assert.Equal(0, await _redis.CountExistingAsync(keys));
    }

    [Theory]
    [InlineData(new[] { "invalidate" }, "nothing to invalidate")]
    [InlineData(new[] { "invalidate", "--table", "products" }, "--table and --row go together")]
    [InlineData(new[] { "invalidate", "--key", "k", "--django-cache", "nope" }, "--django-cache 'nope' is not configured")]
    public async Task Invalidate_BadInput_ExitsWithCode2AndSaysWhy(string[] args, string error)
    {
        var (exitCode, output) = await ServiceProcess.RunAsync(Settings, args);

        Assert.Equal(2, exitCode);
        Assert.Contains(error, output, StringComparison.Ordinal);
    }
}
