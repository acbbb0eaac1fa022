using System.Text.Json;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>Logs are structured (JSON on request) and never carry a secret.</summary>
public sealed class LoggingTests : IAsyncLifetime
{
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task JsonLogs_ServiceRunning_AreJsonLinesWithoutPasswords()
    {
        var settings = CacheBusService.Settings(_database);
        settings["Logging:Console:FormatterName"] = "json";
        settings["Logging:LogLevel:Default"] = "Debug";
        await using var keys = new RedisKeys();
        var id = UniqueIds.Next();
        await using (var service = ServiceProcess.Start(settings))
        {
            await service.WaitUntilStreamingAsync(_database);
            await keys.SetAsync($"product:{id}");
            await _database.ExecuteAsync(ShopTable.Products.Insert, id, 1L);
            await keys.AssertEvictedAsync($"product:{id}");
            await service.KillAsync();

            var lines = service.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            Assert.NotEmpty(lines);
            Assert.All(lines, line => Assert.Equal(JsonValueKind.Object, JsonDocument.Parse(line).RootElement.ValueKind));
            Assert.Contains(lines, line => line.Contains("Streaming changes from slot", StringComparison.Ordinal));
            Assert.All(Servers.Secrets, secret => Assert.DoesNotContain(secret, service.Output, StringComparison.Ordinal));
        }
    }
}
