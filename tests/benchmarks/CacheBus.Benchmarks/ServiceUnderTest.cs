using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Spectre.Console;

namespace CacheBus.Benchmarks;

/// <summary>
/// CacheBus.Service.dll, published as the container and compose/local/run.sh publish it (ReadyToRun), started as its
/// own process with its shipped appsettings.json (the demo shop's rules) and default tuning, on a RabbitMQ vhost of
/// its own, so its CPU time and peak memory are its alone.
/// </summary>
internal sealed class ServiceUnderTest : IAsyncDisposable
{
    private readonly Process _process;
    private readonly HttpClient _http;
    private readonly string? _vhost;
    private readonly StringBuilder _output = new();

    private ServiceUnderTest(Process process, HttpClient http, string? vhost)
    {
        _process = process;
        _http = http;
        _vhost = vhost;
    }

    /// <summary>Where <see cref="PublishAsync"/> puts the service.</summary>
    private static string Published => Path.Combine(Repository.Root, ".cachebus", "benchmark-service");

    /// <summary><c>dotnet publish</c> of the service, as a user deploys it; up to date, it takes a few seconds.</summary>
    public static async Task PublishAsync(CancellationToken ct)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in new[] { "publish", Path.Combine(Repository.Root, "services", "CacheBus.Service"), "-c", "Release", "-o", Published, "--nologo" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException("dotnet publish did not start");
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        await process.WaitForExitAsync(ct);
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"dotnet publish of the service exited with {process.ExitCode}:\n{await stdout}{await stderr}");
        }
    }

    public static async Task<ServiceUnderTest> StartAsync(string postgres, string slot, CancellationToken ct)
    {
        var vhost = await AddVhostAsync(ct);
        var port = FreePort();
        var rabbit = new UriBuilder(Repository.Required("CACHEBUS_RABBITMQ"));
        if (vhost is not null)
        {
            rabbit.Path = "/" + vhost;
        }

        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Published, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(Path.Combine(Published, "CacheBus.Service.dll"));
        start.Environment["ConnectionStrings__Postgres"] = postgres;
        start.Environment["ConnectionStrings__RabbitMq"] = rabbit.Uri.ToString();
        start.Environment["ConnectionStrings__Redis"] = Repository.Required("CACHEBUS_REDIS");
        start.Environment["CacheBus__Replication__SlotName"] = slot;
        start.Environment["Urls"] = $"http://127.0.0.1:{port}";
        start.Environment["Logging__LogLevel__Default"] = "Warning";
        var started = Stopwatch.GetTimestamp();
        var process = Process.Start(start) ?? throw new InvalidOperationException("CacheBus did not start");
        var service = new ServiceUnderTest(process, new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") }, vhost) { StartedAt = started };
        process.OutputDataReceived += (_, e) => service.Append(e.Data);
        process.ErrorDataReceived += (_, e) => service.Append(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return service;
    }

    /// <summary>The <see cref="Stopwatch"/> timestamp just before the process was started.</summary>
    public long StartedAt { get; private init; }

    /// <summary>SIGSTOP: the process keeps its state and connections but reads nothing until <see cref="Resume"/>.</summary>
    public void Pause() => Signal("-STOP");

    public void Resume() => Signal("-CONT");

    /// <summary>User plus system CPU time of the service process so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>The process's peak resident memory (VmHWM).</summary>
    public long PeakMemoryBytes
    {
        get
        {
            _process.Refresh();
            return _process.PeakWorkingSet64;
        }
    }

    /// <summary>Row changes whose Redis evictions the service has applied, from its own /metrics.</summary>
    public async Task<long> AppliedAsync(CancellationToken ct)
    {
        if (_process.HasExited)
        {
            throw new InvalidOperationException($"CacheBus exited with {_process.ExitCode}:\n{Output}");
        }

        string text;
        try
        {
            text = await _http.GetStringAsync(new Uri("/metrics", UriKind.Relative), ct);
        }
        catch (HttpRequestException)
        {
            return 0; // not listening yet
        }

        const string sample = "cachebus_commit_to_applied_seconds_count{consumer=\"redis\"} ";
        var at = text.IndexOf(sample, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        var end = text.IndexOf('\n', at);
        return (long)double.Parse(text.AsSpan(at + sample.Length, end - at - sample.Length), CultureInfo.InvariantCulture);
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

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            // SIGTERM first: the service shuts down as it would in production (and writes its trace, when asked to).
            Signal("-CONT");
            Signal("-TERM");

            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(15));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync();
            }
        }

        _process.Dispose();
        _http.Dispose();
        if (_vhost is not null)
        {
            await RabbitMqCtlAsync(CancellationToken.None, "delete_vhost", _vhost);
        }
    }

    // Queues outlive their consumers: on a shared vhost another CacheBus would take this run's messages, or leave
    // its own for this one. Where rabbitmqctl is missing (a broker in Docker) the configured vhost is shared.
    private static async Task<string?> AddVhostAsync(CancellationToken ct)
    {
        var vhost = $"cachebus_bench_{Guid.NewGuid():N}"[..27];
        if (!await RabbitMqCtlAsync(ct, "add_vhost", vhost))
        {
            AnsiConsole.MarkupLine("[yellow]rabbitmqctl is not installed: the service shares the configured vhost[/]");
            return null;
        }

        var user = Uri.UnescapeDataString(new Uri(Repository.Required("CACHEBUS_RABBITMQ")).UserInfo.Split(':')[0]);
        await RabbitMqCtlAsync(ct, "set_permissions", "-p", vhost, user is "" ? "guest" : user, ".*", ".*", ".*");
        return vhost;
    }

    /// <summary>False when rabbitmqctl is not installed; a command that fails throws with what rabbitmqctl said.</summary>
    private static async Task<bool> RabbitMqCtlAsync(CancellationToken ct, params string[] args)
    {
        var start = new ProcessStartInfo("rabbitmqctl") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }

        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync(ct);
            var stderr = process.StandardError.ReadToEndAsync(ct);
            await process.WaitForExitAsync(ct);
            return process.ExitCode == 0
                ? true
                : throw new InvalidOperationException(
                    $"rabbitmqctl {string.Join(' ', args)} exited with {process.ExitCode} (RABBITMQ_NODENAME names the broker's node; " +
                    $"compose/local/servers.sh env sets it):\n{await stdout}{await stderr}");
        }
    }

    private void Signal(string signal)
    {
        using var kill = Process.Start("kill", [signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private void Append(string? line)
    {
        if (line is not null)
        {
            lock (_output)
            {
                _output.AppendLine(line);
            }
        }
    }
}
