using System.Diagnostics;
using System.Globalization;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// Signals to a server or service process the test started. SIGSTOP is how a network partition looks to a client:
/// the socket stays open, the data stays, nothing answers; SIGCONT heals it.
/// </summary>
internal static class Signals
{
    public static void Send(Process process, string signal)
    {
        using var kill = Process.Start("kill", [$"-{signal}", process.Id.ToString(CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
        Assert.Equal(0, kill.ExitCode);
    }
}
