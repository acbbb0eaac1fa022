using System.CommandLine;
using CacheBus.Benchmarks;

// Throughput of a cold start on a backlog against the raw decoding limit on the same WAL, one large transaction,
// then commit-to-eviction latency at fixed offered rates. See README, "Throughput and latency"; the servers come from compose/local/servers.sh env.
var changes = new Option<int>("--changes") { Description = "Row changes in the throughput run", DefaultValueFactory = _ => 1_000_000 };
var rates = new Option<int[]>("--rates") { Description = "Offered rates for the latency runs, changes per second", DefaultValueFactory = _ => [500, 2_000, 5_000, 10_000, 20_000], AllowMultipleArgumentsPerToken = true };
var seconds = new Option<double>("--seconds") { Description = "Duration of each latency run", DefaultValueFactory = _ => 10 };
var output = new Option<DirectoryInfo>("--out") { Description = "Where results.md, results.json and latency.png are written", DefaultValueFactory = _ => new DirectoryInfo(Path.Combine(Repository.Root, "tests", "benchmarks", "results")) };
var root = new RootCommand("CacheBus throughput and commit-to-eviction latency on the local servers") { changes, rates, seconds, output };
root.SetAction(async (parse, ct) =>
{
    var settings = new BenchSettings(parse.GetValue(changes), parse.GetValue(rates)!, parse.GetValue(seconds), parse.GetValue(output)!);
    if (settings.Problems().ToList() is { Count: > 0 } problems)
    {
        foreach (var problem in problems)
        {
            await Console.Error.WriteLineAsync($"benchmark: {problem}");
        }

        return 2;
    }

    await BenchmarkRun.RunAsync(settings, ct);
    return 0;
});
return await root.Parse(args).InvokeAsync();
