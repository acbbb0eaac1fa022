using System.Diagnostics;
using HdrHistogram;

namespace CacheBus.Benchmarks;

/// <summary>
/// One latency run: a writer on its own thread commits changes at a fixed offered rate (open loop: it never waits
/// for CacheBus), and every change's latency runs from the moment its transaction was sent to PostgreSQL until
/// Redis announced its key's deletion. A writer that falls behind sends the changes that are due together; the
/// achieved rate says whether it kept up.
/// </summary>
internal static class FixedRateRun
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(30);

    // The service deletes every key a second time 2 s after the first (CacheBus:Redis:SecondEvictionDelay, left at its
    // default here). A run starts after the last run's second deletions, or they would delete keys it just set.
    private static readonly TimeSpan Settle = TimeSpan.FromSeconds(3);

    public static async Task<RateResult> RunAsync(
        BenchDatabase database, EvictionWatch watch, ServiceUnderTest service, int rate, int changes, Action<double> progress, CancellationToken ct)
    {
        var keys = Enumerable.Range(0, changes).Select(BenchDatabase.KeyOf).ToArray();
        await Task.Delay(Settle, ct);
        await watch.ArmAsync(keys);
        var sentAt = new long[changes];
        var cpuBefore = service.CpuTime;
        var clock = Stopwatch.StartNew();
        var writing = Task.Factory.StartNew(() => Write(database, rate, sentAt, ct), ct, TaskCreationOptions.LongRunning, TaskScheduler.Default);
        while (!writing.IsCompleted)
        {
            progress(0.8 * watch.Count / changes);
            await Task.WhenAny(writing, Task.Delay(100, ct));
        }

        var writeTime = await writing;
        var drainDeadline = clock.Elapsed + DrainTimeout;
        while (watch.Count < changes && clock.Elapsed < drainDeadline)
        {
            progress(0.8 + (0.2 * watch.Count / changes));
            await Task.Delay(50, ct);
        }

        var elapsed = clock.Elapsed;
        var cpu = service.CpuTime - cpuBefore;
        var index = keys.Select((key, i) => (key, i)).ToDictionary(k => k.key, k => k.i, StringComparer.Ordinal);
        var histogram = new LongHistogram(TimeStamp.Minutes(10), 3);
        var evicted = new bool[changes];
        foreach (var (key, timestamp) in watch.Seen)
        {
            // A deletion before the change was sent is not its eviction; it would leave the row uncounted.
            if (index.TryGetValue(key, out var row) && !evicted[row] && sentAt[row] != 0 && timestamp >= sentAt[row])
            {
                evicted[row] = true;
                histogram.RecordValue(timestamp - sentAt[row]);
            }
        }

        progress(1);
        return new RateResult(
            rate,
            changes / writeTime.TotalSeconds,
            changes,
            evicted.Count(e => e),
            histogram,
            cpu / elapsed,
            service.PeakMemoryBytes);
    }

    // Every ~millisecond the writer commits what is due by then, stamping each change just before it is sent.
    private static TimeSpan Write(BenchDatabase database, int rate, long[] sentAt, CancellationToken ct)
    {
        using var writer = database.OpenWriter();
        var start = Stopwatch.GetTimestamp();
        var sent = 0;
        while (sent < sentAt.Length)
        {
            ct.ThrowIfCancellationRequested();
            var now = Stopwatch.GetTimestamp();
            var due = (int)Math.Min(sentAt.Length, 1 + ((now - start) * rate / Stopwatch.Frequency));
            if (due > sent)
            {
                Array.Fill(sentAt, now, sent, due - sent);
                writer.Commit(sent, due - sent);
                sent = due;
            }
            else
            {
                Thread.Sleep(1);
            }
        }

        return Stopwatch.GetElapsedTime(start);
    }
}

/// <summary>What one fixed-rate run measured; latencies are in <see cref="Stopwatch"/> ticks.</summary>
internal sealed record RateResult(int Offered, double Achieved, int Changes, int Evicted, LongHistogram Latency, double CpuCores, long PeakMemoryBytes)
{
    public double Percentile(double percentile) => Latency.TotalCount == 0 ? double.NaN : Latency.GetValueAtPercentile(percentile) * 1000.0 / Stopwatch.Frequency;

    public double MaxMs => Latency.TotalCount == 0 ? double.NaN : Latency.GetMaxValue() * 1000.0 / Stopwatch.Frequency;
}
