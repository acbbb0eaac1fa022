using System.CommandLine;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Commands;

/// <summary>
/// The program's command line: with no command it runs the service; <c>explain</c> and <c>invalidate</c> are the
/// operator's tools, reading the same configuration as the service.
/// </summary>
public static class CacheBusCommandLine
{
    public const int BadInput = 2;

    public static RootCommand Create()
    {
        var root = new RootCommand("CacheBus: invalidates caches when PostgreSQL rows change. Without a command, runs the service.")
        {
            TreatUnmatchedTokensAsErrors = false, // configuration overrides such as --CacheBus:Role=Listener
        };
        root.SetAction((parse, ct) => RunServiceAsync([.. parse.UnmatchedTokens], ct));
        root.Subcommands.Add(ExplainCommand.Create());
        root.Subcommands.Add(InvalidateCommand.Create());
        return root;
    }

    /// <summary>The service: CacheBus on a web host that serves /metrics and the health endpoints.</summary>
    public static WebApplication BuildWebApplication(WebApplicationBuilder builder)
    {
        builder.AddCacheBus();
        var app = builder.Build();

        // Check every setting before anything is resolved, so all mistakes are reported together.
        app.Services.GetRequiredService<IStartupValidator>().Validate();
        app.MapCacheBusEndpoints();
        return app;
    }

    /// <summary>A host wired as the service is, for commands that need its configuration and services but never start it.</summary>
    internal static IHost BuildHost()
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { Args = [] });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);

        // The commands act on the cache like a consumer does; they need no database.
        builder.Configuration.AddInMemoryCollection([new($"{CacheBusOptions.Section}:Role", nameof(CacheBusRole.Consumers))]);
        builder.AddCacheBus();
        return builder.Build();
    }

    /// <summary>Prints configuration failures plainly; false when the error is of another kind.</summary>
    internal static bool TryReportConfigurationError(Exception error, TextWriter output)
    {
        if (StartupErrors.ConfigurationFailures(error) is not { } failures)
        {
            return false;
        }

        output.WriteLine(
            $"CacheBus cannot start, the configuration is invalid:{Environment.NewLine}  {string.Join($"{Environment.NewLine}  ", failures)}");
        return true;
    }

    private static async Task<int> RunServiceAsync(string[] args, CancellationToken ct)
    {
        try
        {
            await using var app = BuildWebApplication(WebApplication.CreateBuilder(args));
            await ((IHost)app).RunAsync(ct);
            return 0;
        }
        catch (Exception ex) when (TryReportConfigurationError(ex, Console.Error))
        {
            return BadInput;
        }
    }
}
