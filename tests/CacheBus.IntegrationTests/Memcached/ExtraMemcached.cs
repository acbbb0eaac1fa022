using System.Diagnostics;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>A second, throwaway memcached on a free loopback port, for tests that need several nodes.</summary>
internal sealed class ExtraMemcached : IAsyncDisposable
{
    private readonly Process _process;
    private bool _stopped;
    private bool _paused;

    private ExtraMemcached(Process process, string address)
    {
        _process = process;
        Address = address;
    }

    public string Address { get; }

    public static async Task<ExtraMemcached> StartAsync()
    {
        var address = $"127.0.0.1:{FreePorts.Next()}";
        var start = new ProcessStartInfo("memcached")
        {
            // Its own pipes: it never writes to them, and it must not hold the test run's stdout open.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "-l", "127.0.0.1", "-p", address.Split(':')[1], "-U", "0", "-m", "16" })
        {
            start.ArgumentList.Add(arg);
        }

        // memcached refuses to run as root unless told a user (as compose/local/servers.sh does).
        if (Environment.UserName == "root")
        {
            start.ArgumentList.Add("-u");
            start.ArgumentList.Add(File.ReadLines("/etc/passwd").Any(line => line.StartsWith("memcache:", StringComparison.Ordinal)) ? "memcache" : "nobody");
        }

        var extra = new ExtraMemcached(Process.Start(start)!, address);
        try
        {
            await LocalMemcached.WaitUntilAnsweringAsync(address);
            return extra;
        }
        catch
        {
            await extra.DisposeAsync();
            throw;
        }
    }

    /// <summary>SIGSTOP: the node keeps its sockets and its items and answers nothing (a partition), until <see cref="Resume"/>.</summary>
    public void Pause()
    {
        Signals.Send(_process, "STOP");
        _paused = true;
    }

    public void Resume()
    {
        Signals.Send(_process, "CONT");
        _paused = false;
    }

    /// <summary>Kills the node (a crash); a test may do that before the end, so a second call does nothing.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        if (_paused)
        {
            Resume();
        }

        if (!_process.HasExited)
        {
            _process.Kill();
        }

        await _process.WaitForExitAsync();
        _process.Dispose();
    }
}
