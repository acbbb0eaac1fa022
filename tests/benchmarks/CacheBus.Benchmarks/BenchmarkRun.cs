using System.Diagnostics;
using Spectre.Console;

namespace CacheBus.Benchmarks;

/// <summary>
/// The whole run, as a user meets the service: the timed range is committed before CacheBus exists, then CacheBus
/// starts cold on that backlog (as after a crash or a deploy) and is timed from its process start and from its first
/// eviction to its last, against pg_recvlogical on the same WAL. Then one large transaction, then the fixed rates.
/// </summary>
internal static class BenchmarkRun
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(50);

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
                var publish = progress.AddTask("dotnet publish the service (ReadyToRun, as deployed)", maxValue: 1);
                await ServiceUnderTest.PublishAsync(ct);
                publish.Value = 1;
                var prepare = progress.AddTask($"commit {changes:N0} changes before CacheBus starts", maxValue: 1);
                await database.CreateRawSlotsAsync();
                var from = await database.CurrentLsnAsync();
                await database.CommitChangesAsync(changes);
                var to = await database.CurrentLsnAsync();
                await Task.Delay(AfterCommit, ct);
                prepare.Value = 1;
                Say($"{changes:N0} changes over products, profiles and orders: {await database.WalBytesAsync(from, to) / 1e6:0.0} MB of WAL");

                // pg_recvlogical runs half its runs before CacheBus and half after it, once its second evictions are
                // over: the best of them is the raw limit, what PostgreSQL can do on an idle machine whatever the order.
                var half = BenchDatabase.RawRuns / 2;
                var raw = progress.AddTask($"pg_recvlogical decodes the timed range ({half} of {BenchDatabase.RawRuns} runs)", maxValue: 1);
                var rawTimes = new List<TimeSpan>(await database.TimeRecvLogicalAsync(to, 0, half, ct));
                raw.Value = 1;

                var backlog = progress.AddTask("CacheBus starts cold and applies the backlog", maxValue: changes);
                var service = await ServiceUnderTest.StartAsync(database.ServiceConnectionString, database.ServiceSlot, ct);
                await using var stopService = service;
                var cold = await DrainAsync(service, changes, done => backlog.Value = done, ct);
                var coldCpu = service.CpuTime;
                var coldMemory = service.PeakMemoryBytes;
                Say($"CacheBus cold: first eviction {cold.First.TotalSeconds:0.00} s after its process started, the last {cold.Last.TotalSeconds:0.00} s after");

                await Task.Delay(AfterRound, ct);
                raw = progress.AddTask($"pg_recvlogical decodes the timed range ({BenchDatabase.RawRuns - half} more runs)", maxValue: 1);
                rawTimes.AddRange(await database.TimeRecvLogicalAsync(to, half, BenchDatabase.RawRuns - half, ct));
                raw.Value = 1;

                // One transaction of the same size: confirmed only after its last message, so it tests the batching.
                var single = progress.AddTask($"one transaction of {changes:N0} changes", maxValue: changes);
                service.Pause();
                await database.CommitOneTransactionAsync(changes);
                var cpuBefore = service.CpuTime;
                var resumed = Stopwatch.GetTimestamp();
                service.Resume();
                var applied = await WaitForAppliedAsync(service, changes * 2L, resumed, done => single.Value = done - changes, ct);
                var oneTransaction = new TransactionResult(changes, applied.Last - applied.First, service.CpuTime - cpuBefore);
                await Task.Delay(AfterRound, ct);

                throughput = new ThroughputResult(
                    changes, [.. rawTimes.Select(t => changes / t.TotalSeconds)], cold.First, cold.Last, coldCpu, coldMemory, oneTransaction);
                Say($"CacheBus: {throughput.CacheBusRate:N0} changes/s; pg_recvlogical: {throughput.RecvLogicalRate:N0} changes/s; ratio {throughput.Ratio:0.00}");

                await using var watch = await EvictionWatch.StartAsync();

                // A few changes at a time take other paths than a backlog (the listener and consumer waiting, small
                // batches, the writer and keyspace events here). One discarded run warms them.
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

    /// <summary>From the process start: when the first change was applied, and when the last.</summary>
    private static Task<(TimeSpan First, TimeSpan Last)> DrainAsync(ServiceUnderTest service, long target, Action<long> progress, CancellationToken ct) =>
        WaitForAppliedAsync(service, target, service.StartedAt, progress, ct);

    /// <summary>Polls /metrics (as a user's monitoring would) until <paramref name="target"/> changes are applied.</summary>
    /// <returns>When the count first moved and when it reached the target, after the <paramref name="since"/> timestamp.</returns>
    private static async Task<(TimeSpan First, TimeSpan Last)> WaitForAppliedAsync(
        ServiceUnderTest service, long target, long since, Action<long> progress, CancellationToken ct)
    {
        var initial = await service.AppliedAsync(ct);
        TimeSpan? first = null;
        long applied;
        while ((applied = await service.AppliedAsync(ct)) < target)
        {
            if (applied > initial)
            {
                first ??= Stopwatch.GetElapsedTime(since);
            }

            progress(applied);
            await Task.Delay(Poll, ct);
        }

        var last = Stopwatch.GetElapsedTime(since);
        progress(applied);
        return (first ?? last, last);
    }

    private static void Say(string line) => AnsiConsole.MarkupLineInterpolated($"[grey]{TimeProvider.System.GetLocalNow():HH:mm:ss}[/] {line}");
}

/// <summary>The cold backlog run: CacheBus's rate against pg_recvlogical's on the same WAL, and the service's cost.</summary>
internal sealed record ThroughputResult(
    int Changes, IReadOnlyList<double> RecvLogicalRuns, TimeSpan FirstEviction, TimeSpan LastEviction, TimeSpan Cpu,
    long PeakMemoryBytes, TransactionResult OneTransaction)
{
    /// <summary>The best pg_recvlogical run: the raw limit.</summary>
    public double RecvLogicalRate => RecvLogicalRuns.Max();

    /// <summary>From the first eviction to the last, the rate the targets name.</summary>
    public double CacheBusRate => Changes / Math.Max((LastEviction - FirstEviction).TotalSeconds, 1e-3);

    /// <summary>From the process start to the last eviction: start-up included.</summary>
    public double FromStartRate => Changes / LastEviction.TotalSeconds;

    public double Ratio => CacheBusRate / RecvLogicalRate;

    /// <summary>The service's CPU from its start to the last eviction, per change: start-up and JIT included.</summary>
    public double CpuMicrosPerChange => Cpu.TotalMicroseconds / Changes;
}

/// <summary>One transaction of <paramref name="Changes"/> changes, from its first eviction to its last.</summary>
internal sealed record TransactionResult(int Changes, TimeSpan Elapsed, TimeSpan Cpu)
{
    public double Rate => Changes / Math.Max(Elapsed.TotalSeconds, 1e-3);

    public double CpuMicrosPerChange => Cpu.TotalMicroseconds / Changes;
}
