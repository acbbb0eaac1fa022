using System.Diagnostics;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A redis-server of the test's own on a free loopback port, with a password, that the test may black-hole: SIGSTOP
/// keeps its socket open and its data, and answers nothing, as a network partition looks to a client.
/// </summary>
internal sealed class ThrowawayRedis : IAsyncDisposable
{
    private readonly Process _process;
    private readonly int _port;
    private readonly string _password = Guid.NewGuid().ToString("N");
    private bool _paused;

    private ThrowawayRedis(int port)
    {
        _port = port;
        var start = new ProcessStartInfo("redis-server")
        {
            // Its own pipes: it must not hold the test run's stdout open.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", $"{port}", "--requirepass", _password, "--save", "", "--appendonly", "no" })
        {
            start.ArgumentList.Add(arg);
        }

        _process = Process.Start(start)!;
        _process.OutputDataReceived += (_, _) => { };
        _process.BeginOutputReadLine();
    }

    /// <summary>StackExchange.Redis configuration; <paramref name="timeoutMs"/> bounds every command (sync and async).</summary>
    public string Configuration(int timeoutMs = 5000) =>
        $"127.0.0.1:{_port},password={_password},syncTimeout={timeoutMs},asyncTimeout={timeoutMs},connectTimeout={timeoutMs},abortConnect=false";

    public static async Task<ThrowawayRedis> StartAsync()
    {
        var redis = new ThrowawayRedis(FreePorts.Next());
        try
        {
            await using var client = await ConnectionMultiplexer.ConnectAsync(redis.Configuration());
            await Eventually.AssertAsync(async () => await PingsAsync(client), "the throwaway redis-server answering");
            return redis;
        }
        catch
        {
            await redis.DisposeAsync();
            throw;
        }
    }

    public void Pause() => Signal("STOP", paused: true);

    public void Resume() => Signal("CONT", paused: false);

    public async ValueTask DisposeAsync()
    {
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

    private static async Task<bool> PingsAsync(ConnectionMultiplexer client)
    {
        try
        {
            await client.GetDatabase().PingAsync();
            return true;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            return false;
        }
    }

    private void Signal(string signal, bool paused)
    {
        Signals.Send(_process, signal);
        _paused = paused;
    }
}
