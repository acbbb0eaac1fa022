using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// The (first) memcached that <c>compose/local/servers.sh up</c> started, restarted the way the script starts it: the same
/// command line (read back from /proc, so port, user and pid file match), in a session of its own, with its stdio in
/// its log rather than in the test run's (a daemon holding the runner's stdout would keep a caller's pipe open).
/// </summary>
internal static class LocalMemcached
{
    private static readonly TimeSpan StartWait = TimeSpan.FromSeconds(20);

    private static string StateDirectory => Path.Combine(
        Environment.GetEnvironmentVariable("CACHEBUS_STATE_DIR") is { Length: > 0 } state ? state : "/tmp/cachebus-servers",
        "memcached");

    /// <summary>
    /// Kills memcached (SIGKILL, like a crash), runs <paramref name="whileStopped"/>, then starts it again, whether or
    /// not that failed, and waits until it answers: later tests need it running.
    /// </summary>
    public static async Task RestartAsync(Func<Task> whileStopped)
    {
        var pidFile = Path.Combine(StateDirectory, "memcached.pid");
        if (!File.Exists(pidFile) || !int.TryParse(File.ReadAllText(pidFile).Trim(), out var pid) || !File.Exists($"/proc/{pid}/cmdline"))
        {
            throw new InvalidOperationException(
                $"No live memcached named by {pidFile}: this test restarts the memcached `compose/local/servers.sh up` started.");
        }

        var commandLine = File.ReadAllText($"/proc/{pid}/cmdline").Split('\0', StringSplitOptions.RemoveEmptyEntries);
        using (var process = Process.GetProcessById(pid))
        {
            process.Kill();
        }

        await WaitUntilGoneAsync(pid);
        try
        {
            await whileStopped();
        }
        finally
        {
            File.Delete(pidFile);
            await StartDetachedAsync(commandLine, Path.Combine(StateDirectory, "memcached.log"));
            await WaitUntilAnsweringAsync(Servers.MemcachedNodes[0]);
        }
    }

    /// <summary>Whether a memcached answers <c>version</c> at <paramref name="address"/> (host:port).</summary>
    public static async Task<bool> AnswersAsync(string address)
    {
        var colon = address.LastIndexOf(':');
        try
        {
            using var client = new TcpClient();
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(1));
            await client.ConnectAsync(address[..colon], int.Parse(address[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture), timeout.Token);
            var stream = client.GetStream();
            await stream.WriteAsync("version\r\n"u8.ToArray(), timeout.Token);
            var reply = new byte[7];
            await stream.ReadExactlyAsync(reply, timeout.Token);
            return Encoding.ASCII.GetString(reply) == "VERSION";
        }
        catch (Exception ex) when (ex is SocketException or IOException or OperationCanceledException)
        {
            return false;
        }
    }

    public static async Task WaitUntilAnsweringAsync(string address)
    {
        var waited = Stopwatch.StartNew();
        while (!await AnswersAsync(address))
        {
            if (waited.Elapsed > StartWait)
            {
                throw new InvalidOperationException($"memcached did not answer at {address} within {StartWait.TotalSeconds} s");
            }

            await Task.Delay(100);
        }
    }

    private static async Task StartDetachedAsync(string[] commandLine, string log)
    {
        var start = new ProcessStartInfo("/bin/sh") { ArgumentList = { "-c", "exec setsid -f \"$@\" </dev/null >>\"$MEMCACHED_LOG\" 2>&1", "sh" } };
        foreach (var arg in commandLine)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["MEMCACHED_LOG"] = log;
        using var shell = Process.Start(start)!;
        await shell.WaitForExitAsync();
        if (shell.ExitCode != 0)
        {
            throw new InvalidOperationException($"Starting `{string.Join(' ', commandLine)}` failed with exit code {shell.ExitCode}; see {log}");
        }
    }

    // A killed process lingers as a zombie until its parent reaps it; it no longer holds the port by then.
    private static async Task WaitUntilGoneAsync(int pid)
    {
        var waited = Stopwatch.StartNew();
        while (IsRunning(pid))
        {
            if (waited.Elapsed > StartWait)
            {
                throw new InvalidOperationException($"memcached (pid {pid}) did not exit within {StartWait.TotalSeconds} s of SIGKILL");
            }

            await Task.Delay(50);
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            return !File.ReadLines($"/proc/{pid}/status").Any(line => line.StartsWith("State:", StringComparison.Ordinal) && line.Contains('Z', StringComparison.Ordinal));
        }
        catch (IOException)
        {
            return false;
        }
    }
}
