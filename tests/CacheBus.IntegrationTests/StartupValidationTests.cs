using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service;

namespace CacheBus.IntegrationTests;

/// <summary>Rules that contradict the database stop start-up with a message naming the setting.</summary>
public sealed class StartupValidationTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task Start_RuleForUnknownTable_FailsNamingTheSetting()
    {
        var error = await StartFailingAsync(new() { ["CacheBus:Rules:Tables:prodcts:Keys:0"] = "product:{id}" });

        Assert.Contains("CacheBus:Rules:Tables:prodcts: table public.prodcts does not exist", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_PlaceholderNamingNoColumn_FailsNamingTheSetting()
    {
        var error = await StartFailingAsync(new() { ["CacheBus:Rules:Tables:products:Keys:1"] = "product-list:{categoryid}" });

        Assert.Contains("CacheBus:Rules:Tables:products:Keys:1", error.Message, StringComparison.Ordinal);
        Assert.Contains("'categoryid'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ReplicaIdentityDefaultButRuleNeedsOldColumn_FailsWithTheStatementToRun()
    {
        await _database.ExecuteAsync("ALTER TABLE products REPLICA IDENTITY DEFAULT");

        var error = await StartFailingAsync([]);

        Assert.Contains(
            "CacheBus:Rules:Tables:products:Keys:1: needs 'category_id' of the row before an UPDATE or DELETE, but table public.products has REPLICA IDENTITY DEFAULT",
            error.Message,
            StringComparison.Ordinal);
        Assert.Contains("Run: ALTER TABLE public.products REPLICA IDENTITY FULL;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_ReplicaIdentityDefaultInDegradeMode_RunsAndEvictsWhatTheKeyAllows()
    {
        await _database.ExecuteAsync("ALTER TABLE products REPLICA IDENTITY DEFAULT");
        await using var redis = new RedisKeys();
        await using var service = await CacheBusService.StartAsync(_database, new Dictionary<string, string?>
        {
            ["CacheBus:Replication:ReplicaIdentity"] = "Degrade",
        });
        var (id, category) = await ShopTable.Products.SeedAsync(_database, redis);
        await redis.SetAsync($"product:{id}", $"product-list:category:{category}");

        await _database.ExecuteAsync(ShopTable.Products.Delete, id);

        await redis.AssertEvictedAsync($"product:{id}");
        Assert.True(await redis.ExistsAsync($"product-list:category:{category}")); // the old row carried only the key
    }

    [Theory]
    [InlineData("UserIdColumn", "userid")]
    [InlineData("SecurityColumns:1", "is_activ")]
    [InlineData("SnapshotColumns:0", "displayname")]
    public async Task Start_SessionColumnTheTableLacks_FailsNamingTheSettingAndTheColumn(string setting, string column)
    {
        var sessions = Sessions();
        sessions[$"CacheBus:Sessions:{setting}"] = column;

        var error = await StartFailingAsync(sessions);

        Assert.Contains($"CacheBus:Sessions:{setting}: names column '{column}', which table public.profiles does not have", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SessionsOnATableWithReplicaIdentityDefault_FailsWithTheStatementToRun()
    {
        await _database.ExecuteAsync("ALTER TABLE profiles REPLICA IDENTITY DEFAULT");

        var error = await StartFailingAsync(Sessions());

        Assert.Contains("CacheBus:Sessions:Table: ", error.Message, StringComparison.Ordinal);
        Assert.Contains("table public.profiles has REPLICA IDENTITY DEFAULT", error.Message, StringComparison.Ordinal);
        Assert.Contains("Run: ALTER TABLE public.profiles REPLICA IDENTITY FULL;", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_SessionColumnsTheTableHas_Starts()
    {
        var settings = CacheBusService.Settings(_database);
        foreach (var (key, value) in Sessions())
        {
            settings[key] = value;
        }

        await using var host = CacheBusService.Build(settings);
        await host.StartAsync(TestContext.Current.CancellationToken);
        await host.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Start_InvalidRules_CreatesNoSlot()
    {
        await StartFailingAsync(new() { ["CacheBus:Rules:Tables:orders:Keys:0"] = "order:{order_id}" });

        Assert.Equal(0L, await _database.ScalarAsync<long>(
            "SELECT count(*) FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName));
    }

    [Fact]
    public async Task Process_EmptyTemplate_ExitsWithCode2AndNamesTheSetting()
    {
        var settings = CacheBusService.Settings(_database);
        settings["CacheBus:Rules:Tables:profiles:Keys:0"] = "";
        await using var process = ServiceProcess.Start(settings);

        var exitCode = await process.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("CacheBus:Rules:Tables:profiles:Keys:0", process.Output, StringComparison.Ordinal);
        Assert.Contains("the template is empty", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_SeveralMistakes_ReportsEveryOneAndExitsWithCode2()
    {
        var settings = CacheBusService.Settings(_database);
        settings["CacheBus:Rules:Tables:orders:Keys:1"] = "order-history:{user_id";
        settings["CacheBus:Replication:MaxBatchSize"] = "0";
        settings["ConnectionStrings:Redis"] = "";
        await using var process = ServiceProcess.Start(settings);

        var exitCode = await process.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("CacheBus:Rules:Tables:orders:Keys:1", process.Output, StringComparison.Ordinal);
        Assert.Contains("CacheBus:Replication:MaxBatchSize", process.Output, StringComparison.Ordinal);
        Assert.Contains("ConnectionStrings:Redis", process.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Process_UnknownRole_ExitsWithCode2AndNamesTheSetting()
    {
        var settings = CacheBusService.Settings(_database);
        settings["CacheBus:Role"] = "Everything";
        await using var process = ServiceProcess.Start(settings);

        var exitCode = await process.WaitForExitAsync();

        Assert.Equal(2, exitCode);
        Assert.Contains("'CacheBus:Role'", process.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", process.Output, StringComparison.Ordinal); // a message, not a stack trace
    }

    private static Dictionary<string, string?> Sessions() => new()
    {
        ["CacheBus:Django:Caches:sessions:Version"] = "1",
        ["CacheBus:Sessions:Table"] = "profiles",
        ["CacheBus:Sessions:SecurityColumns:0"] = "is_active",
        ["CacheBus:Sessions:SecurityColumns:1"] = "password_hash",
        ["CacheBus:Sessions:SnapshotColumns:0"] = "display_name",
    };

    private async Task<CacheBusConfigurationException> StartFailingAsync(Dictionary<string, string?> overrides)
    {
        var settings = CacheBusService.Settings(_database);
        foreach (var (key, value) in overrides)
        {
            settings[key] = value;
        }

        await using var host = CacheBusService.Build(settings);
        var error = await Assert.ThrowsAsync<CacheBusConfigurationException>(() => host.StartAsync(TestContext.Current.CancellationToken));
        await host.StopAsync(TestContext.Current.CancellationToken);
        return error;
    }
}
