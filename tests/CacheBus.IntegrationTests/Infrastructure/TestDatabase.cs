using Npgsql;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A fresh database with the demo schema (products, profiles, orders) and a slot name of its own, so tests never
/// see each other's changes. Disposing drops the slot, then the database.
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

    public string ConnectionString => DataSource.ConnectionString;

    public static async Task<TestDatabase> CreateAsync(CancellationToken ct)
    {
        var name = $"cachebus_test_{Guid.NewGuid():N}"[..32];
        await using (var admin = NpgsqlDataSource.Create(Servers.Postgres))
        {
            await admin.CreateCommand($"CREATE DATABASE {name}").ExecuteNonQueryAsync(ct);
        }

        var connectionString = new NpgsqlConnectionStringBuilder(Servers.Postgres) { Database = name }.ConnectionString;
        var database = new TestDatabase(name, NpgsqlDataSource.Create(connectionString));
        await database.ExecuteAsync(await File.ReadAllTextAsync(RepoPaths.DemoSchema, ct));
        return database;
    }

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
        await using var admin = NpgsqlDataSource.Create(Servers.Postgres);

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
