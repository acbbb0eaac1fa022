using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>One test database and one running CacheBus, shared by the tests of a class.</summary>
public sealed class ServiceFixture : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;

    internal CacheBusService Service { get; private set; } = null!;

    internal RedisKeys Redis { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        Service = await CacheBusService.StartAsync(Database);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Database.DisposeAsync();
        await Redis.DisposeAsync();
    }
}
