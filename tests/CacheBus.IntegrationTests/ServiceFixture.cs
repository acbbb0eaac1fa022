using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>The example rules of appsettings.json, unchanged.</summary>
public sealed class ServiceFixture() : CacheBusFixture(null);

/// <summary>One test database and one running CacheBus (example rules plus any overrides), shared by a class's tests.</summary>
public abstract class CacheBusFixture(IDictionary<string, string?>? overrides, string? setupSql = null) : IAsyncLifetime
{
    internal TestDatabase Database { get; private set; } = null!;

    internal CacheBusService Service { get; private set; } = null!;

    internal RedisKeys Redis { get; } = new();

    public async ValueTask InitializeAsync()
    {
        Database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        if (setupSql is not null)
        {
            await Database.ExecuteAsync(setupSql);
            await Database.PublishAsync();
        }

        Service = await CacheBusService.StartAsync(Database, overrides);
    }

    public async ValueTask DisposeAsync()
    {
        await Service.DisposeAsync();
        await Database.DisposeAsync();
        await Redis.DisposeAsync();
        GC.SuppressFinalize(this);
    }
}
