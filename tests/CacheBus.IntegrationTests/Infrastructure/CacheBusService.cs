using CacheBus.Service.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// CacheBus running in the test process, wired exactly as Program.cs wires it, with the example rules of the
/// service's appsettings.json, pointed at a test database and the real RabbitMQ and Redis.
/// </summary>
internal sealed class CacheBusService(WebApplication host) : IAsyncDisposable
{
    public IServiceProvider Services => host.Services;

    /// <summary>Where the service's HTTP endpoints (/metrics, /health/...) listen.</summary>
    public Uri BaseAddress => new(host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First());

    public static Dictionary<string, string?> Settings(TestDatabase database) => new()
    {
        ["ConnectionStrings:Postgres"] = database.ServiceConnectionString,
        ["ConnectionStrings:RabbitMq"] = Servers.RabbitMq,
        ["ConnectionStrings:Redis"] = Servers.Redis,
        ["ConnectionStrings:Memcached"] = Servers.Memcached,
        ["CacheBus:Replication:SlotName"] = database.SlotName,

        // A second eviction lands at a moment no test controls; StaleSetRaceTests turns it on for itself.
        ["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00",
        ["Urls"] = "http://127.0.0.1:0",
        ["Logging:LogLevel:Default"] = "Warning",
        ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
    };

    public static WebApplication Build(IDictionary<string, string?> settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            ContentRootPath = AppContext.BaseDirectory,
            EnvironmentName = "Test",
            Args = [],
        });
        builder.Configuration.AddInMemoryCollection(settings);
        return CacheBusCommandLine.BuildWebApplication(builder);
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
        await host.DisposeAsync();
    }
}
