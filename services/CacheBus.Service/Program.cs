using CacheBus.Service;
using Microsoft.Extensions.Options;

var builder = Host.CreateApplicationBuilder(args);
builder.AddCacheBus();
using var host = builder.Build();
try
{
    await host.RunAsync();
    return 0;
}
catch (Exception ex) when (ex is OptionsValidationException or CacheBusConfigurationException)
{
    // Bad configuration: say which setting is wrong and stop, without a stack trace to dig through.
    await Console.Error.WriteLineAsync($"CacheBus cannot start, the configuration is invalid:{Environment.NewLine}  {ex.Message.Replace("; ", $"{Environment.NewLine}  ", StringComparison.Ordinal).Replace(Environment.NewLine, $"{Environment.NewLine}  ", StringComparison.Ordinal)}");
    return 2;
}
