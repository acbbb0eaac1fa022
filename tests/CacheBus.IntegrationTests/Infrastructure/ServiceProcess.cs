using System.Diagnostics;
using System.Text;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// CacheBus as its own process (the built service; run.sh and the container run it published), so a test can kill it the way a crash would:
/// SIGKILL, no shutdown code runs.
/// </summary>
internal sealed class ServiceProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private ServiceProcess(IDictionary<string, string?> settings, IEnumerable<string> args)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = AppContext.BaseDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        start.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "CacheBus.Service.dll"));
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment["DOTNET_ENVIRONMENT"] = "Test";
        foreach (var (key, value) in settings)
        {
            start.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        }

        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Append(e.Data);
        _process.ErrorDataReceived += (_, e) => Append(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public bool HasExited => _process.HasExited;

    /// <summary>The process's peak resident memory so far (VmHWM), in MiB.</summary>
    public double PeakRssMegabytes
    {
        get
        {
            var line = File.ReadLines($"/proc/{_process.Id}/status").First(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            return long.Parse(line["VmHWM:".Length..].Replace("kB", "", StringComparison.Ordinal).Trim(), System.Globalization.CultureInfo.InvariantCulture) / 1024.0;
        }
    }

    /// <summary>SIGSTOP: the process keeps its connections but does nothing until it is killed or continued.</summary>
    public void Pause() => Signals.Send(_process, "STOP");

    /// <summary>SIGCONT after <see cref="Pause"/>.</summary>
    public void Resume() => Signals.Send(_process, "CONT");

    public static ServiceProcess Start(IDictionary<string, string?> settings, params string[] args) => new(settings, args);

    /// <summary>Runs a command of the program (explain, invalidate) to its end.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IDictionary<string, string?> settings, params string[] args)
    {
        await using var process = new ServiceProcess(settings, args);
        var exitCode = await process.WaitForExitAsync();
        return (exitCode, process.Output);
    }

    /// <summary>Waits until the process streams from the slot (a WAL sender holds it).</summary>
    public async Task WaitUntilStreamingAsync(TestDatabase database)
    {
        await Eventually.AssertAsync(
            async () => _process.HasExited
                ? throw new InvalidOperationException($"CacheBus exited with {_process.ExitCode}:\n{Output}")
                : await database.StreamingPidAsync() is not null,
            "CacheBus streaming from its slot",
            TimeSpan.FromSeconds(60));
    }

    public async Task<int> WaitForExitAsync()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(60));
        await _process.WaitForExitAsync(timeout.Token);
        _process.WaitForExit(); // drains the redirected output
        return _process.ExitCode;
    }

    /// <summary>SIGKILL: no graceful shutdown, no final status update to PostgreSQL, no acknowledgements.</summary>
    public async Task KillAsync()
    {
        _process.Kill(entireProcessTree: true);
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            await KillAsync();
        }

        _process.Dispose();
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }
}
