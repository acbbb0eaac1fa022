using System.Diagnostics;
using Spectre.Console;

namespace CacheBus.Benchmarks;

/// <summary>The whole run: prepare the WAL, time pg_recvlogical on it, then CacheBus on it, then the fixed-rate runs.</summary>
internal static class BenchmarkRun
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

    // A long-running service runs fully optimised code. Tiered compilation gets there in steps (tier 0, instrumented,
    // tier 1), each after enough calls and a quiet moment: one warm-up round left ~3,000 hot methods to be recompiled
    // inside the timed window, costing a fifth of the CPU there. Three rounds with a pause after each leave few.
    private const int WarmupRounds = 3;

    // What a burst of 200,000 committed changes sets going in PostgreSQL (the WAL writer, the checkpointer) runs
    // off the clock.
    private static readonly TimeSpan AfterCommit = TimeSpan.FromSeconds(2);

    // The service deletes every evicted key once more 2 s later (RedisOptions.SecondEvictionDelay): a round's second
    // evictions must be over before anything is timed, or they compete with it for the two cores.
    private static readonly TimeSpan AfterRound = TimeSpan.FromSeconds(4);
    private static readonly TimeSpan WarmRun = TimeSpan.FromSeconds(3);

    public static async Task RunAsync(BenchSettings settings, CancellationToken ct)
    {
        var changes = settings.Changes / 3 * 3;
        var warmup = settings.Warmup / (3 * WarmupRounds) * (3 * WarmupRounds);
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = 200; // a log file has no width: do not wrap lines and tables at 80 columns
        }

        await using var database = await BenchDatabase.CreateAsync(settings.RowsNeeded);
        ThroughputResult throughput = null!;
        var rates = new List<RateResult>();
        await AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
            .StartAsync(async progress =>
            {
                var service = await ServiceUnderTest.StartAsync(database.ServiceConnectionString, ct);
                await using var stopService = service;
                var warm = progress.AddTask($"CacheBus warms up on {warmup:N0} changes", maxValue: Math.Max(1, warmup));
                for (var round = 1; warmup > 0 && round <= WarmupRounds; round++)
                {
                    // Each round is a backlog too, so the code paths warmed are the ones timed.
                    service.Pause();
                    await database.CommitChangesAsync(warmup / WarmupRounds);
                    service.Resume();
                    await WaitForAppliedAsync(service, warmup / WarmupRounds * round, done => warm.Value = done, ct);
                    await KeepPollingAsync(service, AfterRound, ct);
                }

                // Paused, the service meets the timed range as a backlog, warm, as pg_recvlogical does.
                var prepare = progress.AddTask($"commit {changes:N0} timed changes while CacheBus is paused", maxValue: 1);
                service.Pause();
                await database.CreateRawSlotsAsync();
                var from = await database.CurrentLsnAsync();
                await database.CommitChangesAsync(changes);
                var to = await database.CurrentLsnAsync();
                await Task.Delay(AfterCommit, ct);
                prepare.Value = 1;
                Say($"{changes:N0} changes over products, profiles and orders: {await database.WalBytesAsync(from, to) / 1e6:0.0} MB of WAL");

                // pg_recvlogical runs half its runs before CacheBus, while the service is paused, and half after it,
                // once its second evictions are over: the best of them is the raw limit, what PostgreSQL can do on an
                // idle machine whatever the order.
                var half = BenchDatabase.RawRuns / 2;
                var raw = progress.AddTask($"pg_recvlogical decodes the timed range ({half} of {BenchDatabase.RawRuns} runs)", maxValue: 1);
                var rawTimes = new List<TimeSpan>(await database.TimeRecvLogicalAsync(to, 0, half, ct));
                raw.Value = 1;

                var backlog = progress.AddTask("CacheBus applies the timed range", maxValue: changes);
                var cpuBefore = service.CpuTime;
                var clock = Stopwatch.StartNew();
                service.Resume();
                await WaitForAppliedAsync(service, warmup + changes, done => backlog.Value = done - warmup, ct);
                var elapsed = clock.Elapsed;
                var cpu = service.CpuTime - cpuBefore;

                await Task.Delay(AfterRound, ct);
                raw = progress.AddTask($"pg_recvlogical decodes the timed range ({BenchDatabase.RawRuns - half} more runs)", maxValue: 1);
                rawTimes.AddRange(await database.TimeRecvLogicalAsync(to, half, BenchDatabase.RawRuns - half, ct));
                raw.Value = 1;
                throughput = new ThroughputResult(changes, [.. rawTimes.Select(t => changes / t.TotalSeconds)], changes / elapsed.TotalSeconds, cpu / elapsed, service.PeakMemoryBytes);
                Say($"CacheBus: {throughput.CacheBusRate:N0} changes/s; pg_recvlogical: {throughput.RecvLogicalRate:N0} changes/s; ratio {throughput.Ratio:0.00}");

                await using var watch = await EvictionWatch.StartAsync();

                // The backlog warmed the paths of full batches; a few changes at a time take others (the listener and
                // consumer waiting, small batches, the writer and keyspace events here). One discarded run warms them.
                var lowest = settings.Rates.Min();
                var warming = progress.AddTask($"{lowest:N0} changes/s for {WarmRun.TotalSeconds:0} s, not recorded", maxValue: 1);
                var warmChanges = Math.Min((int)(lowest * WarmRun.TotalSeconds), settings.RowsNeeded);
                await FixedRateRun.RunAsync(database, watch, service, lowest, warmChanges, done => warming.Value = done, ct);

                foreach (var rate in settings.Rates)
                {
                    var run = progress.AddTask($"{rate:N0} changes/s for {settings.Seconds:0.#} s", maxValue: 1);
                    var result = await FixedRateRun.RunAsync(database, watch, service, rate, settings.ChangesAt(rate), done => run.Value = done, ct);
                    rates.Add(result);
                    Say($"{rate:N0}/s: p50 {result.Percentile(50):0.0} ms, p99 {result.Percentile(99):0.0} ms, {result.Evicted:N0} of {result.Changes:N0} evicted");
                }
            });

        Report.Write(settings, throughput, rates);
    }

    private static async Task WaitForAppliedAsync(ServiceUnderTest service, long target, Action<long> progress, CancellationToken ct)
    {
        long applied;
        while ((applied = await service.AppliedAsync(ct)) < target)
        {
            progress(applied);
            await Task.Delay(Poll, ct);
        }

        progress(applied);
    }

    // The timed run polls /metrics every 50 ms; a round's own polls are too few for the runtime to finish compiling
    // that path (the HTTP server, prometheus-net), which then cost ~900 JIT compilations inside the timed window.
    private static async Task KeepPollingAsync(ServiceUnderTest service, TimeSpan duration, CancellationToken ct)
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < duration)
        {
            await service.AppliedAsync(ct);
            await Task.Delay(Poll, ct);
        }
    }

    private static void Say(string line) => AnsiConsole.MarkupLineInterpolated($"[grey]{TimeProvider.System.GetLocalNow():HH:mm:ss}[/] {line}");
}

/// <summary>The backlog run: CacheBus's rate against pg_recvlogical's on the same WAL, and the service's cost.</summary>
internal sealed record ThroughputResult(int Changes, IReadOnlyList<double> RecvLogicalRuns, double CacheBusRate, double CpuCores, long PeakMemoryBytes)
{
    /// <summary>The best pg_recvlogical run: the raw limit.</summary>
    public double RecvLogicalRate => RecvLogicalRuns.Max();

    public double Ratio => CacheBusRate / RecvLogicalRate;
}
