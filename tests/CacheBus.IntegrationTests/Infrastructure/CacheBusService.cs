using CacheBus.Service;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// CacheBus running in the test process, wired exactly as Program.cs wires it, with the example rules of the
/// service's appsettings.json, pointed at a test database and the real RabbitMQ and Redis.
/// </summary>
internal sealed class CacheBusService(IHost host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    public static Dictionary<string, string?> Settings(TestDatabase database) => new()
    {
        ["ConnectionStrings:Postgres"] = database.ConnectionString,
        ["ConnectionStrings:RabbitMq"] = Servers.RabbitMq,
        ["ConnectionStrings:Redis"] = Servers.Redis,
        ["CacheBus:Replication:SlotName"] = database.SlotName,
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };

    public static IHost Build(IDictionary<string, string?> settings)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Test",
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        builder.AddCacheBus();
        return builder.Build();
    }

    public static async Task<CacheBusService> StartAsync(TestDatabase database, IDictionary<string, string?>? overrides = null)
    {
        var settings = Settings(database);
        foreach (var (key, value) in overrides ?? new Dictionary<string, string?>())
        {
            settings[key] = value;
        }

        var host = Build(settings);
        await host.StartAsync(TestContext.Current.CancellationToken);
        return new CacheBusService(host);
    }

    public async ValueTask DisposeAsync()
    {
        await host.StopAsync(CancellationToken.None);
        host.Dispose();
    }
}
