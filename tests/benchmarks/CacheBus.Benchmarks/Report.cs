using System.Globalization;
using System.Text;
using System.Text.Json;
using ScottPlot;
using Spectre.Console;

namespace CacheBus.Benchmarks;

/// <summary>Prints the tables, and writes them as results.md and results.json with the latency plot beside them.</summary>
internal static class Report
{
    private const double TargetP99Ms = 25;
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static void Write(BenchSettings settings, ThroughputResult throughput, IReadOnlyList<RateResult> rates)
    {
        var throughputRows = ThroughputRows(throughput);
        var latencyHeader = new[] { "offered /s", "achieved /s", "changes", "evicted", "p50 ms", "p95 ms", "p99 ms", "max ms", "service CPU", "peak memory" };
        var latencyRows = rates.Select(LatencyRow).ToList();
        AnsiConsole.Write(Table("throughput (same WAL)", ["measure", "value"], throughputRows));
        AnsiConsole.Write(Table("commit-to-eviction latency", latencyHeader, latencyRows));

        settings.Output.Create();
        var plot = Path.Combine(settings.Output.FullName, "latency.png");
        Plot(rates, plot);
        File.WriteAllText(Path.Combine(settings.Output.FullName, "results.md"), Markdown(settings, throughputRows, latencyHeader, latencyRows));
        File.WriteAllText(Path.Combine(settings.Output.FullName, "results.json"), Json(throughput, rates));
        AnsiConsole.MarkupLineInterpolated($"results: {settings.Output.FullName} (results.md, results.json, latency.png)");
    }

    // The targets are those of issue 15 for this 2-core machine with every server local, from a cold start.
    private static List<string[]> ThroughputRows(ThroughputResult t) =>
    [
        ["row changes, committed before CacheBus started", Invariant($"{t.Changes:N0}")],
        ["pg_recvlogical (raw decoding limit, best run)", Invariant($"{t.RecvLogicalRate:N0} changes/s")],
        ["pg_recvlogical, every run", string.Join(", ", t.RecvLogicalRuns.Select(r => Invariant($"{r:N0}")))],
        ["CacheBus cold: first eviction after process start (target: 1 s)", Invariant($"{t.FirstEviction.TotalSeconds:0.00} s")],
        ["CacheBus cold, first to last eviction", Invariant($"{t.CacheBusRate:N0} changes/s")],
        ["CacheBus cold, process start to last eviction", Invariant($"{t.FromStartRate:N0} changes/s")],
        ["ratio, first to last / best raw (target: at least 0.8)", Invariant($"{t.Ratio:0.00}")],
        ["service CPU per change, start-up included (target: 8 us)", Invariant($"{t.CpuMicrosPerChange:0.0} us")],
        ["service peak memory (target: 150 MB)", Invariant($"{t.PeakMemoryBytes / 1e6:N0} MB")],
        [Invariant($"one transaction of {t.OneTransaction.Changes:N0} changes, first to last eviction"), Invariant($"{t.OneTransaction.Rate:N0} changes/s")],
        ["one transaction, service CPU per change", Invariant($"{t.OneTransaction.CpuMicrosPerChange:0.0} us")],
    ];

    private static string[] LatencyRow(RateResult r) =>
    [
        Invariant($"{r.Offered:N0}"), Invariant($"{r.Achieved:N0}"), Invariant($"{r.Changes:N0}"), Invariant($"{r.Evicted:N0}"),
        Invariant($"{r.Percentile(50):0.0}"), Invariant($"{r.Percentile(95):0.0}"), Invariant($"{r.Percentile(99):0.0}"), Invariant($"{r.MaxMs:0.0}"),
        Invariant($"{r.CpuCores:0.00} cores"), Invariant($"{r.PeakMemoryBytes / 1e6:N0} MB"),
    ];

    private static Spectre.Console.Table Table(string title, string[] header, IEnumerable<string[]> rows)
    {
        var table = new Spectre.Console.Table { Title = new TableTitle(title) };
        foreach (var column in header)
        {
            table.AddColumn(new TableColumn(column).RightAligned());
        }

        table.Columns[0].LeftAligned();
        foreach (var row in rows)
        {
            table.AddRow(row.Select(cell => new Text(cell)).ToArray());
        }

        return table;
    }

    // Latency spans milliseconds to hundreds of them between a light and a saturating rate: the y axis is
    // logarithmic (values plotted as log10, ticks labelled in ms), so both ends stay readable.
    private static readonly double[] LatencyTicksMs = [0.1, 0.2, 0.5, 1, 2, 5, 10, 20, 50, 100, 200, 500, 1_000, 2_000, 5_000, 10_000];

    private static void Plot(IReadOnlyList<RateResult> rates, string path)
    {
        var plot = new Plot();
        var offered = rates.Select(r => (double)r.Offered).ToArray();
        foreach (var (percentile, color) in new[] { (50.0, Colors.SteelBlue), (95.0, Colors.DarkOrange), (99.0, Colors.Crimson) })
        {
            var line = plot.Add.Scatter(offered, rates.Select(r => Math.Log10(r.Percentile(percentile))).ToArray(), color);
            line.LegendText = Invariant($"p{percentile:0}");
            line.MarkerSize = 8;
        }

        var target = plot.Add.HorizontalLine(Math.Log10(TargetP99Ms), color: Colors.Gray, pattern: LinePattern.Dashed);
        target.LegendText = "p99 target (25 ms at 2,000/s)";
        var low = Math.Min(rates.Min(r => r.Percentile(50)), TargetP99Ms) / 1.5;
        var high = Math.Max(rates.Max(r => r.Percentile(99)), TargetP99Ms) * 1.5;
        var ticks = new ScottPlot.TickGenerators.NumericManual();
        foreach (var ms in LatencyTicksMs.Where(t => t >= low && t <= high))
        {
            ticks.AddMajor(Math.Log10(ms), Invariant($"{ms:0.#}"));
        }

        plot.Axes.Left.TickGenerator = ticks;
        plot.Axes.SetLimitsY(Math.Log10(low), Math.Log10(high));
        plot.Axes.SetLimitsX(0, offered.Max() * 1.05);
        plot.Title("CacheBus commit-to-eviction latency");
        plot.XLabel("offered rate (row changes per second)");
        plot.YLabel("latency (ms, log scale)");
        plot.ShowLegend(Alignment.UpperLeft);
        plot.SavePng(path, 900, 500);
    }

    private static string Markdown(BenchSettings settings, List<string[]> throughput, string[] latencyHeader, List<string[]> latency)
    {
        var md = new StringBuilder();
        md.AppendLine(Invariant($"Measured {TimeProvider.System.GetUtcNow():yyyy-MM-dd} on {Environment.ProcessorCount} cores with `CacheBus.Benchmarks --changes {settings.Changes} --rates {string.Join(' ', settings.Rates)} --seconds {settings.Seconds}`."));
        md.AppendLine();
        AppendTable(md, ["measure", "value"], throughput);
        md.AppendLine();
        AppendTable(md, latencyHeader, latency);
        return md.ToString();
    }

    private static void AppendTable(StringBuilder md, string[] header, IEnumerable<string[]> rows)
    {
        md.AppendLine("| " + string.Join(" | ", header) + " |");
        md.AppendLine("|" + string.Join("|", header.Select((_, i) => i == 0 ? "---" : "---:")) + "|");
        foreach (var row in rows)
        {
            md.AppendLine("| " + string.Join(" | ", row) + " |");
        }
    }

    private static string Json(ThroughputResult t, IReadOnlyList<RateResult> rates) => JsonSerializer.Serialize(
        new
        {
            throughput = new
            {
                changes = t.Changes,
                recvLogicalPerSecond = t.RecvLogicalRate,
                recvLogicalRunsPerSecond = t.RecvLogicalRuns,
                firstEvictionSeconds = t.FirstEviction.TotalSeconds,
                lastEvictionSeconds = t.LastEviction.TotalSeconds,
                cacheBusPerSecond = t.CacheBusRate,
                fromStartPerSecond = t.FromStartRate,
                ratio = t.Ratio,
                cpuMicrosPerChange = t.CpuMicrosPerChange,
                peakMemoryBytes = t.PeakMemoryBytes,
                oneTransaction = new
                {
                    changes = t.OneTransaction.Changes,
                    perSecond = t.OneTransaction.Rate,
                    cpuMicrosPerChange = t.OneTransaction.CpuMicrosPerChange,
                },
            },
            rates = rates.Select(r => new
            {
                offered = r.Offered,
                achieved = r.Achieved,
                changes = r.Changes,
                evicted = r.Evicted,
                recorded = r.Latency.TotalCount,
                p50Ms = r.Percentile(50),
                p95Ms = r.Percentile(95),
                p99Ms = r.Percentile(99),
                maxMs = r.MaxMs,
                cpuCores = r.CpuCores,
                peakMemoryBytes = r.PeakMemoryBytes,
            }),
        },
        Indented);

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
