using System.Diagnostics;
using System.Globalization;
using Npgsql;

namespace CacheBus.Benchmarks;

/// <summary>
/// A throwaway copy of the demo shop with enough rows for the run. Row <c>i</c> is row <c>i / 3 + 1</c> of
/// products, profiles or orders in turn, so every run spreads its changes evenly over the three tables.
/// </summary>
internal sealed class BenchDatabase : IAsyncDisposable
{
    public const int RawRuns = 6;
    private static readonly (string Table, string Key, string Update)[] Tables =
    [
        ("products", "product:", "UPDATE products SET price = price + 1 WHERE id"),
        ("profiles", "profile:", "UPDATE profiles SET display_name = display_name || '.' WHERE user_id"),
        ("orders", "order:", "UPDATE orders SET total = total + 1 WHERE id"),
    ];

    private readonly string _admin = Repository.Required("CACHEBUS_PG_ADMIN");
    private readonly string _service = Repository.Required("CACHEBUS_PG");
    private NpgsqlDataSource _db = null!;

    private BenchDatabase()
    {
    }

    public string Name { get; } = $"cachebus_bench_{Guid.NewGuid():N}"[..28];

    /// <summary>The service's slot, named after the database: slot names are shared by the whole server, and another CacheBus (run.sh) may own "cachebus".</summary>
    public string ServiceSlot => Name;

    public string ConnectionString => new NpgsqlConnectionStringBuilder(_admin) { Database = Name }.ConnectionString;

    /// <summary>The service's least-privilege role on this database: what CacheBus and pg_recvlogical stream as.</summary>
    public string ServiceConnectionString => new NpgsqlConnectionStringBuilder(_service) { Database = Name }.ConnectionString;

    /// <summary>Creates the database with <paramref name="rows"/> rows, the publication, and the service's slot.</summary>
    public static async Task<BenchDatabase> CreateAsync(int rows)
    {
        var bench = new BenchDatabase();
        await using (var admin = NpgsqlDataSource.Create(bench._admin))
        {
            await admin.CreateCommand($"CREATE DATABASE {bench.Name}").ExecuteNonQueryAsync();
        }

        bench._db = NpgsqlDataSource.Create(bench.ConnectionString);
        var perTable = (rows + 2) / 3;
        var schema = await File.ReadAllTextAsync(Path.Combine(Repository.Root, "compose", "demo", "schema.sql"));
        await bench.ExecuteAsync(schema);
        await bench.ExecuteAsync($"INSERT INTO products (id, category_id, name, price) SELECT g, g % 100, 'p', 1 FROM generate_series(1, {perTable}) g");
        await bench.ExecuteAsync($"INSERT INTO profiles (user_id, display_name) SELECT g, 'u' FROM generate_series(1, {perTable}) g");
        await bench.ExecuteAsync($"INSERT INTO orders (id, user_id, status, total) SELECT g, g % 1000, 'new', 1 FROM generate_series(1, {perTable}) g");
        await bench.ExecuteAsync("CREATE PUBLICATION cachebus FOR TABLE products, profiles, orders");
        await bench.ExecuteAsync($"GRANT SELECT ON products, profiles, orders TO \"{new NpgsqlConnectionStringBuilder(bench._service).Username}\"");
        await bench.ExecuteAsync($"SELECT pg_create_logical_replication_slot('{bench.ServiceSlot}', 'pgoutput')");
        return bench;
    }

    /// <summary>The Redis key the service's rules evict for row <paramref name="row"/> (and only for it).</summary>
    public static string KeyOf(int row) => Tables[row % 3].Key + (row / 3 + 1).ToString(CultureInfo.InvariantCulture);

    /// <summary>Changes rows 0 to <paramref name="changes"/> - 1 once each, in transactions of about 1,000 changes.</summary>
    public async Task CommitChangesAsync(int changes)
    {
        const int idsPerTransaction = 334;
        var perTable = changes / 3;
        for (var low = 1; low <= perTable; low += idsPerTransaction)
        {
            var high = Math.Min(perTable, low + idsPerTransaction - 1);
            await using var batch = _db.CreateBatch();
            foreach (var table in Tables)
            {
                batch.BatchCommands.Add(new NpgsqlBatchCommand($"{table.Update} BETWEEN {low} AND {high}"));
            }

            await batch.ExecuteNonQueryAsync(); // one implicit transaction
        }
    }

    /// <summary>Changes rows 0 to <paramref name="changes"/> - 1 once each, in a single transaction.</summary>
    public async Task CommitOneTransactionAsync(int changes)
    {
        await using var batch = _db.CreateBatch();
        foreach (var table in Tables)
        {
            batch.BatchCommands.Add(new NpgsqlBatchCommand($"{table.Update} BETWEEN 1 AND {changes / 3}"));
        }

        await batch.ExecuteNonQueryAsync(); // one implicit transaction
    }

    /// <summary>Slots that see only what is committed from now on: pg_recvlogical's copies of the timed range, one per run.</summary>
    public Task CreateRawSlotsAsync() =>
        ExecuteAsync(string.Join("; ", Enumerable.Range(0, RawRuns).Select(i => $"SELECT pg_create_logical_replication_slot('raw{i}', 'pgoutput')")));

    public async Task<string> CurrentLsnAsync() => (string)(await _db.CreateCommand("SELECT pg_current_wal_insert_lsn()::text").ExecuteScalarAsync())!;

    public async Task<long> WalBytesAsync(string from, string to) =>
        (long)(await _db.CreateCommand($"SELECT pg_wal_lsn_diff('{to}', '{from}')::bigint").ExecuteScalarAsync())!;

    /// <summary>
    /// pg_recvlogical decoding the timed range with the same plugin options as CacheBus, output discarded, once on
    /// each of <paramref name="count"/> fresh slots (of <see cref="RawRuns"/>) from <paramref name="firstSlot"/>.
    /// </summary>
    public async Task<IReadOnlyList<TimeSpan>> TimeRecvLogicalAsync(string endLsn, int firstSlot, int count, CancellationToken ct)
    {
        var runs = new List<TimeSpan>(count);
        for (var slot = firstSlot; slot < firstSlot + count; slot++)
        {
            runs.Add(await TimeRecvLogicalAsync($"raw{slot}", endLsn, ct));
        }

        return runs;
    }

    private async Task<TimeSpan> TimeRecvLogicalAsync(string slot, string endLsn, CancellationToken ct)
    {
        var csb = new NpgsqlConnectionStringBuilder(ServiceConnectionString);
        var start = new ProcessStartInfo("pg_recvlogical")
        {
            ArgumentList =
            {
                "-d", $"host={csb.Host} port={csb.Port} user={csb.Username} password='{Quote(csb.Password!)}' dbname={Name}",
                "-S", slot, "--start", "-o", "proto_version=1", "-o", "publication_names=cachebus", "-o", "messages=true",
                "-E", endLsn, "-f", "/dev/null",
            },
        };
        var clock = Stopwatch.StartNew();
        using var process = Process.Start(start) ?? throw new InvalidOperationException("pg_recvlogical did not start");
        await process.WaitForExitAsync(ct);
        return process.ExitCode == 0 ? clock.Elapsed : throw new InvalidOperationException($"pg_recvlogical exited with {process.ExitCode}");
    }

    // libpq conninfo: a quoted value escapes backslash and single quote with a backslash.
    private static string Quote(string value) => value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("'", @"\'", StringComparison.Ordinal);

    /// <summary>A connection of its own for the fixed-rate writer, which runs on a dedicated thread.</summary>
    public RowWriter OpenWriter() => new(_db.OpenConnection());

    public async ValueTask DisposeAsync()
    {
        await _db.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(_admin);
        await admin.CreateCommand($"SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = '{Name}'").ExecuteNonQueryAsync();
        await admin.CreateCommand($"DROP DATABASE {Name} WITH (FORCE)").ExecuteNonQueryAsync();
    }

    private Task<int> ExecuteAsync(string sql) => _db.CreateCommand(sql).ExecuteNonQueryAsync();

    /// <summary>Commits a set of rows' changes as one transaction, in one round trip.</summary>
    internal sealed class RowWriter(NpgsqlConnection connection) : IDisposable
    {
        private readonly List<long>[] _ids = [[], [], []];

        public void Commit(int firstRow, int count)
        {
            foreach (var ids in _ids)
            {
                ids.Clear();
            }

            for (var row = firstRow; row < firstRow + count; row++)
            {
                _ids[row % 3].Add((row / 3) + 1);
            }

            using var batch = connection.CreateBatch();
            for (var t = 0; t < Tables.Length; t++)
            {
                if (_ids[t].Count > 0)
                {
                    batch.BatchCommands.Add(new NpgsqlBatchCommand($"{Tables[t].Update} = ANY($1)") { Parameters = { new() { Value = _ids[t].ToArray() } } });
                }
            }

            batch.ExecuteNonQuery();
        }

        public void Dispose() => connection.Dispose();
    }
}
