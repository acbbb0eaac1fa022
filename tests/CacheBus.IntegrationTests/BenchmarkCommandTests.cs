using System.Diagnostics;
using System.Text.Json;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The benchmark command (tests/benchmarks) run small, end to end, on the real servers: it is not a test of speed,
/// but the README's figures come from it, so CI proves that it runs and that what it writes adds up.
/// </summary>
public sealed class BenchmarkCommandTests : IDisposable
{
    private static readonly string[] Percentiles = ["p50Ms", "p95Ms", "p99Ms", "maxMs"];
    private static readonly byte[] PngSignature = [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];
    private readonly DirectoryInfo _output = Directory.CreateTempSubdirectory("cachebus-bench-");

    public void Dispose() => _output.Delete(recursive: true);

    [Fact]
    public async Task SmallRun_WritesThroughputAndLatencyThatAddUp()
    {
        // On a clean checkout the benchmark's first step, publishing the service as one composite ReadyToRun image,
        // takes 2.5-4.5 minutes on 2 cores (seconds once published); the run itself takes about one.
        var (exitCode, output) = await RunAsync(
            TimeSpan.FromMinutes(10), "--changes", "6000", "--rates", "200", "500", "--seconds", "2", "--out", _output.FullName);

        Assert.True(exitCode == 0, $"benchmark exited with {exitCode}:\n{output}");
        Assert.Contains("ratio, first to last / best raw (target: at least 0.8)", output, StringComparison.Ordinal);
        Assert.Contains("commit-to-eviction latency", output, StringComparison.Ordinal);

        using var json = JsonDocument.Parse(await File.ReadAllTextAsync(Path.Combine(_output.FullName, "results.json"), TestContext.Current.CancellationToken));
        var throughput = json.RootElement.GetProperty("throughput");
        Assert.Equal(6000, throughput.GetProperty("changes").GetInt32());
        var runs = throughput.GetProperty("recvLogicalRunsPerSecond").EnumerateArray().Select(r => r.GetDouble()).ToList();
        Assert.Equal(6, runs.Count);
        Assert.All(runs, r => Assert.True(r > 0));
        Assert.Equal(runs.Max(), throughput.GetProperty("recvLogicalPerSecond").GetDouble());
        var cacheBus = throughput.GetProperty("cacheBusPerSecond").GetDouble();
        Assert.True(cacheBus > 0);
        Assert.Equal(cacheBus / runs.Max(), throughput.GetProperty("ratio").GetDouble(), 9);

        // Started cold on the backlog: the first eviction comes after the process started, the last after the first,
        // and the rate counted from the process start includes the start-up.
        var first = throughput.GetProperty("firstEvictionSeconds").GetDouble();
        var last = throughput.GetProperty("lastEvictionSeconds").GetDouble();
        Assert.True(first > 0 && last >= first, $"first eviction {first} s, last {last} s");
        Assert.Equal(6000 / last, throughput.GetProperty("fromStartPerSecond").GetDouble(), 6);
        Assert.True(throughput.GetProperty("fromStartPerSecond").GetDouble() <= cacheBus);
        Assert.True(throughput.GetProperty("cpuMicrosPerChange").GetDouble() > 0);
        Assert.True(throughput.GetProperty("peakMemoryBytes").GetInt64() > 10_000_000);
        var oneTransaction = throughput.GetProperty("oneTransaction");
        Assert.Equal(6000, oneTransaction.GetProperty("changes").GetInt32());
        Assert.True(oneTransaction.GetProperty("perSecond").GetDouble() > 0);
        Assert.True(oneTransaction.GetProperty("cpuMicrosPerChange").GetDouble() > 0);

        var rates = json.RootElement.GetProperty("rates").EnumerateArray().ToList();
        Assert.Equal([200, 500], rates.Select(r => r.GetProperty("offered").GetInt32()));
        foreach (var rate in rates)
        {
            // Every change committed at the offered rate was evicted, and each eviction gave one latency sample.
            var changes = rate.GetProperty("changes").GetInt32();
            Assert.Equal(rate.GetProperty("offered").GetInt32() * 2, changes);
            Assert.Equal(changes, rate.GetProperty("evicted").GetInt32());
            Assert.Equal(changes, rate.GetProperty("recorded").GetInt32());
            double[] percentiles = [.. Percentiles.Select(p => rate.GetProperty(p).GetDouble())];
            Assert.True(percentiles[0] > 0, "a commit-to-eviction latency of zero was measured");
            Assert.Equal(percentiles.Order(), percentiles);
        }

        var png = await File.ReadAllBytesAsync(Path.Combine(_output.FullName, "latency.png"), TestContext.Current.CancellationToken);
        Assert.Equal(PngSignature, png[..8]);
        Assert.True(png.Length > 10_000, "latency.png is too small to hold a plot");
        var markdown = await File.ReadAllTextAsync(Path.Combine(_output.FullName, "results.md"), TestContext.Current.CancellationToken);
        Assert.Contains("| 500 | ", markdown, StringComparison.Ordinal);
        Assert.Contains("--changes 6000", markdown, StringComparison.Ordinal);
    }

    [Fact]
    public async Task BadOptions_ExitWith2_AndNameEachOption()
    {
        var (exitCode, output) = await RunAsync(TimeSpan.FromMinutes(1), "--changes", "1", "--rates", "0", "--seconds", "0", "--out", _output.FullName);

        Assert.Equal(2, exitCode);
        Assert.Contains("--changes must be at least 3", output, StringComparison.Ordinal);
        Assert.Contains("--rates needs one or more positive rates", output, StringComparison.Ordinal);
        Assert.Contains("--seconds must be positive", output, StringComparison.Ordinal);
        Assert.Empty(_output.GetFiles());
    }

    // The benchmark is built with the solution, in the configuration these tests were built in.
    private static async Task<(int ExitCode, string Output)> RunAsync(TimeSpan timeout, params string[] args)
    {
        var configuration = new DirectoryInfo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)).Parent!.Name;
        var dll = Path.Combine(RepoPaths.Root, "tests", "benchmarks", "CacheBus.Benchmarks", "bin", configuration, "net10.0", "CacheBus.Benchmarks.dll");
        Assert.True(File.Exists(dll), $"{dll} is missing: build CacheBus.sln");
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        cancel.CancelAfter(timeout);
        try
        {
            await process.WaitForExitAsync(cancel.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"the benchmark did not finish in {timeout}:\n{await stdout}{await stderr}");
        }

        return (process.ExitCode, await stdout + await stderr);
    }
}
