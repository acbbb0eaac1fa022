using System.Diagnostics;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>compose/local/servers.sh, for tests that stop and start the real servers (readiness, faults).</summary>
internal static class ServersScript
{
    public static async Task RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo(Path.Combine(RepoPaths.Root, "compose", "local", "servers.sh"))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        args.ToList().ForEach(start.ArgumentList.Add);
        using var process = Process.Start(start)!;
        var output = await Task.WhenAll(process.StandardOutput.ReadToEndAsync(), process.StandardError.ReadToEndAsync());
        await process.WaitForExitAsync();
        Assert.True(process.ExitCode == 0, $"servers.sh {string.Join(' ', args)} failed:\n{output[1]}");
    }
}
