using System.Diagnostics;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary><c>rabbitmqctl</c> against the node <c>compose/local/servers.sh up</c> started (RABBITMQ_NODENAME from its env).</summary>
internal static class RabbitMqCtl
{
    /// <summary>Runs it to its end and returns what it printed; a non-zero exit fails with its output.</summary>
    public static async Task<string> RunAsync(params string[] args)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in (string[])["-q", "-n", Environment.GetEnvironmentVariable("RABBITMQ_NODENAME") ?? "rabbit@localhost", .. args])
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"rabbitmqctl {string.Join(' ', args)} exited with {process.ExitCode}:\n{await output}{await error}");
        }

        return await output;
    }
}
