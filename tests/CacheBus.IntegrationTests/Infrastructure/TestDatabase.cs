using Npgsql;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh database with the demo schema (products, profiles, orders) and a slot name of its own, so tests never
/// see each other's changes. It is prepared as a deployment prepares one: the administrator owns the tables, creates
/// the publication and grants the service's role SELECT; the service connects as that role (<see cref="ServiceConnectionString"/>),
/// the tests' own SQL runs as the administrator. Disposing drops the slot, then the database.
/// </summary>
internal sealed class TestDatabase : IAsyncDisposable
{
    private TestDatabase(string name, NpgsqlDataSource dataSource)
    {
        Name = name;
        DataSource = dataSource;
    }

    public string Name { get; }

    public string SlotName => Name;

    public NpgsqlDataSource DataSource { get; }

    /// <summary>The service's role, with its password, on this database: what ConnectionStrings:Postgres gets.</summary>
    public string ServiceConnectionString => new NpgsqlConnectionStringBuilder(Servers.Postgres) { Database = Name }.ConnectionString;

    /// <summary>The administrator, with its password, on this database.</summary>
    public string AdminConnectionString => new NpgsqlConnectionStringBuilder(Servers.PostgresAdmin) { Database = Name }.ConnectionString;

    public static async Task<TestDatabase> CreateAsync(CancellationToken ct)
    {
        var name = $"cachebus_test_{Guid.NewGuid():N}"[..32];
        await using (var admin = NpgsqlDataSource.Create(Servers.PostgresAdmin))
        {
            await admin.CreateCommand($"CREATE DATABASE {name}").ExecuteNonQueryAsync(ct);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(Servers.PostgresAdmin) { Database = name }.ConnectionString;
        var database = new TestDatabase(name, NpgsqlDataSource.Create(connectionString));
        await database.ExecuteAsync(await File.ReadAllTextAsync(RepoPaths.DemoSchema, ct));
        await database.PublishAsync();
        return database;
    }

    /// <summary>
    /// Publishes every table of the public schema (publication <c>cachebus</c>, the service's default) and grants the
    /// service's role SELECT on it: what an administrator runs once per streamed table. Call again after adding tables.
    /// </summary>
    public Task PublishAsync() => ExecuteAsync($$"""
        DO $$
        DECLARE t text;
        BEGIN
            IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'cachebus') THEN
                CREATE PUBLICATION cachebus;
            END IF;
            FOR t IN SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public'
                AND tablename NOT IN (SELECT tablename FROM pg_publication_tables WHERE pubname = 'cachebus') LOOP
                EXECUTE 'ALTER PUBLICATION cachebus ADD TABLE ' || t;
            END LOOP;
        END $$;
        GRANT SELECT ON ALL TABLES IN SCHEMA public TO "{{Servers.ServiceRole}}";
        """);

    /// <summary>
    /// The WAL sender streaming this database's slot, or null. A slot is also "active" while the backend that creates
    /// it holds it, before any listener streams: only a process in pg_stat_replication is streaming.
    /// </summary>
    public Task<int?> StreamingPidAsync() => ScalarAsync<int?>(
        "SELECT s.active_pid FROM pg_replication_slots s JOIN pg_stat_replication r ON r.pid = s.active_pid WHERE s.slot_name = $1",
        SlotName);

    /// <summary>The server's WAL position now: every transaction committed before this call ends at or before it.</summary>
    public Task<string> CurrentWalLsnAsync() => ScalarAsync<string>("SELECT pg_current_wal_lsn()::text");

    /// <summary>
    /// Whether the slot confirmed everything up to <paramref name="lsn"/>: CacheBus confirms only what the broker
    /// confirmed and the position record holds, so this is "every change before it was published".
    /// </summary>
    public Task<bool> SlotConfirmedPastAsync(string lsn) => ScalarAsync<bool>(
        "SELECT coalesce(bool_and(confirmed_flush_lsn >= $2::pg_lsn), false) FROM pg_replication_slots WHERE slot_name = $1", SlotName, lsn);

    public async Task ExecuteAsync(string sql, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        await command.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
    }

    public async Task<T> ScalarAsync<T>(string sql, params object?[] parameters)
    {
        await using var command = Command(sql, parameters);
        return (T)(await command.ExecuteScalarAsync(TestContext.Current.CancellationToken))!;
    }

    private NpgsqlCommand Command(string sql, object?[] parameters)
    {
        var command = DataSource.CreateCommand(sql);
        foreach (var value in parameters)
        {
            command.Parameters.Add(new NpgsqlParameter { Value = value ?? DBNull.Value });
        }

        return command;
    }

    public async ValueTask DisposeAsync()
    {
        await DataSource.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(Servers.PostgresAdmin);

        // A stopped service's WAL sender can linger for a moment; the slot can only be dropped once it is inactive.
        for (var attempt = 0; ; attempt++)
        {
            await using var drop = admin.CreateCommand("""
                SELECT count(pg_drop_replication_slot(slot_name)) FILTER (WHERE NOT active), count(*)
                FROM pg_replication_slots WHERE database = $1
                """);
            drop.Parameters.Add(new NpgsqlParameter { Value = Name });
            await using var reader = await drop.ExecuteReaderAsync();
            await reader.ReadAsync();
            if (reader.GetInt64(0) == reader.GetInt64(1))
            {
                break;
            }

            if (attempt == 100)
            {
                throw new InvalidOperationException($"The slots of {Name} stayed active; they hold WAL until dropped");
            }

            await Task.Delay(100);
        }

        await admin.CreateCommand($"DROP DATABASE {Name} WITH (FORCE)").ExecuteNonQueryAsync();
    }
}
