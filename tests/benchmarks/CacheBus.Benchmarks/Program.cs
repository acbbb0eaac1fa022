using System.Diagnostics;
using System.Globalization;
using CacheBus.Benchmarks;

// Throughput against the raw limit, on the same WAL: pg_recvlogical decoding it, then CacheBus from its first to
// its last applied change. Fixed-rate latency percentiles are not measured yet (issue 9).
var changes = args.Length > 0 ? int.Parse(args[0], CultureInfo.InvariantCulture) : 200_000;
await using var bench = await BenchDatabase.CreateAsync(changes);
Console.WriteLine($"{changes:N0} row changes committed over products, profiles and orders ({bench.WalBytes / 1e6:0.0} MB of WAL)");

var raw = await bench.TimeRecvLogicalAsync();
Console.WriteLine($"pg_recvlogical: {raw.TotalSeconds:0.00} s");

var process = Process.GetCurrentProcess();
var cpuBefore = process.TotalProcessorTime;
var cachebus = await bench.TimeCacheBusAsync(done => Console.Write($"\rCacheBus: {done:N0} / {changes:N0} applied"));
process.Refresh();
Console.WriteLine();

var rawRate = changes / raw.TotalSeconds;
var busRate = changes / cachebus.TotalSeconds;
Console.WriteLine();
Console.WriteLine($"| {"measure",-34} | {"value",14} |");
Console.WriteLine($"|{new string('-', 36)}|{new string('-', 16)}|");
Console.WriteLine($"| {"pg_recvlogical (raw decode limit)",-34} | {rawRate,10:N0} /s |");
Console.WriteLine($"| {"CacheBus, first to last applied",-34} | {busRate,10:N0} /s |");
Console.WriteLine($"| {"ratio (target at least 0.5)",-34} | {busRate / rawRate,14:0.00} |");
Console.WriteLine($"| {"CacheBus CPU (both cores)",-34} | {(process.TotalProcessorTime - cpuBefore).TotalSeconds,12:0.0} s |");
Console.WriteLine($"| {"peak working set",-34} | {process.PeakWorkingSet64 / 1e6,11:0} MB |");
