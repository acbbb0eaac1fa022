using CacheBus.Service;
using Microsoft.Extensions.Options;

try
{
    var builder = Host.CreateApplicationBuilder(args);
    builder.AddCacheBus();
    using var host = builder.Build();

    // Check every setting before anything starts, so all mistakes are reported together.
    host.Services.GetRequiredService<IStartupValidator>().Validate();
    await host.RunAsync();
    return 0;
}
catch (Exception ex) when (StartupErrors.ConfigurationFailures(ex) is { } failures)
{
    await Console.Error.WriteLineAsync(
        $"CacheBus cannot start, the configuration is invalid:{Environment.NewLine}  {string.Join($"{Environment.NewLine}  ", failures)}");
    return 2;
}
