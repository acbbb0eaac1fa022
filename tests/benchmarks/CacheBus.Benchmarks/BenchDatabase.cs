using System.Diagnostics;
using CacheBus.Service.Commands;
using CacheBus.Service.Metrics;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Npgsql;

namespace CacheBus.Benchmarks;

/// <summary>A throwaway database holding a known stream of committed changes, and two slots that both read it.</summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    private readonly string _name = $"cachebus_bench_{Guid.NewGuid():N}"[..28];
    private readonly string _admin = Required("CACHEBUS_PG");
    private readonly int _changes;
    private NpgsqlDataSource _db = null!;
    private string _endLsn = "";

    private BenchDatabase(int changes) => _changes = changes;

    public long WalBytes { get; private set; }

    private string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { Database = _name }.ConnectionString;

    public static async Task<BenchDatabase> CreateAsync(int changes)
    {
        var bench = new BenchDatabase(changes);
        await bench.PrepareAsync();
        return bench;
    }

    public async Task<TimeSpan> TimeRecvLogicalAsync()
    {
        var csb = new NpgsqlConnectionStringBuilder(ConnectionString);
        var start = new ProcessStartInfo("pg_recvlogical")
        {
            ArgumentList =
            {
                "-d", $"host={csb.Host} port={csb.Port} user={csb.Username} password={csb.Password} dbname={_name}",
                "-S", "raw", "--start", "-o", "proto_version=1", "-o", "publication_names=cachebus", "-E", _endLsn, "-f", "/dev/null",
            },
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start)!;
        await process.WaitForExitAsync();
        return process.ExitCode == 0 ? clock.Elapsed : throw new InvalidOperationException($"pg_recvlogical exited with {process.ExitCode}");
    }

    /// <summary>CacheBus in this process, as Program.cs wires it; timed from its first applied change to its last.</summary>
    public async Task<TimeSpan> TimeCacheBusAsync(Action<long> progress)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:Postgres"] = ConnectionString,
            ["ConnectionStrings:RabbitMq"] = Required("CACHEBUS_RABBITMQ"),
            ["ConnectionStrings:Redis"] = Required("CACHEBUS_REDIS"),
            ["CacheBus:Replication:SlotName"] = "cachebus",
            ["CacheBus:Redis:SecondEvictionDelay"] = "00:00:00",
            ["Urls"] = "http://127.0.0.1:0",
            ["Logging:LogLevel:Default"] = "Warning",
        });
        await using var app = CacheBusCommandLine.BuildWebApplication(builder);
        var applied = CacheBusMetrics.CommitToApplied.WithLabels("redis");
        var before = applied.Count;
        await app.StartAsync();
        Stopwatch? clock = null;
        while (applied.Count - before < _changes)
        {
            await Task.Delay(20);
            if (applied.Count > before)
            {
                clock ??= Stopwatch.StartNew();
            }

            progress(applied.Count - before);
        }

        var elapsed = clock!.Elapsed;
        await app.StopAsync();
        return elapsed;
    }

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(_admin);
        await admin.CreateCommand($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{_name}'").ExecuteNonQueryAsync();
        await admin.CreateCommand($"DROP DATABASE {_name} WITH (FORCE)").ExecuteNonQueryAsync();
    }

    private async Task PrepareAsync()
    {
        await using (var admin = NpgsqlDataSource.Create(_admin))
        {
            await admin.CreateCommand($"CREATE DATABASE {_name}").ExecuteNonQueryAsync();
        }

        _db = NpgsqlDataSource.Create(ConnectionString);
        var schema = await File.ReadAllTextAsync(Path.Combine(Root(), "compose", "demo", "schema.sql"));
        var third = _changes / 3;
        foreach (var sql in new[]
        {
            schema,
            $"INSERT INTO products (id, category_id, name, price) SELECT g, g % 100, 'p', 1 FROM generate_series(1, {_changes - (2 * third)}) g",
            $"INSERT INTO profiles (user_id, display_name) SELECT g, 'u' FROM generate_series(1, {third}) g",
            $"INSERT INTO orders (id, user_id, status, total) SELECT g, g % 1000, 'new', 1 FROM generate_series(1, {third}) g",
            "CREATE PUBLICATION cachebus FOR TABLE products, profiles, orders",
            "SELECT pg_create_logical_replication_slot('raw', 'pgoutput'), pg_create_logical_replication_slot('cachebus', 'pgoutput')",
        })
        {
            await _db.CreateCommand(sql).ExecuteNonQueryAsync();
        }

        var startLsn = await ScalarAsync("SELECT pg_current_wal_insert_lsn()::text");
        foreach (var table in new[] { "products SET price = price + 1", "profiles SET display_name = 'v'", "orders SET total = total + 1" })
        {
            await _db.CreateCommand($"UPDATE {table}").ExecuteNonQueryAsync();
        }

        _endLsn = await ScalarAsync("SELECT pg_current_wal_insert_lsn()::text");
        WalBytes = long.Parse(await ScalarAsync($"SELECT (pg_wal_lsn_diff('{_endLsn}', '{startLsn}'))::bigint::text"), System.Globalization.CultureInfo.InvariantCulture);
    }

    private async Task<string> ScalarAsync(string sql) => (string)(await _db.CreateCommand(sql).ExecuteScalarAsync())!;

    private static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) ?? throw new InvalidOperationException($"{name} is not set: eval \"$(compose/local/servers.sh env)\"");

    private static string Root()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheBus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("no CacheBus.sln above the benchmark");
    }
}
