using CacheBus.Service.Rules;
using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>Creates the publication when it is missing, or adds the tables it lacks; the slot is <see cref="SlotGuard"/>'s.</summary>
internal static class ReplicationSetup
{
    public static async Task EnsureAsync(
        NpgsqlDataSource db, ReplicationOptions options, IEnumerable<TableName> tables, CancellationToken ct)
    {
        var published = await PublishedTablesAsync(db, options.PublicationName, ct);
        if (published is null)
        {
            var list = string.Join(", ", tables.Select(Quote));
            await ExecuteAsync(db, $"CREATE PUBLICATION {Ident(options.PublicationName)} FOR TABLE {list}", ct);
        }
        else
        {
            foreach (var table in tables.Where(t => !published.Contains(t)))
            {
                await ExecuteAsync(db, $"ALTER PUBLICATION {Ident(options.PublicationName)} ADD TABLE {Quote(table)}", ct);
            }
        }
    }

    private static async Task<HashSet<TableName>?> PublishedTablesAsync(NpgsqlDataSource db, string publication, CancellationToken ct)
    {
        await using var command = db.CreateCommand("""
            SELECT p.pubname, t.schemaname, t.tablename
            FROM pg_publication p LEFT JOIN pg_publication_tables t ON t.pubname = p.pubname
            WHERE p.pubname = $1
            """);
        command.Parameters.Add(new NpgsqlParameter { Value = publication });
        await using var reader = await command.ExecuteReaderAsync(ct);
        HashSet<TableName>? tables = null;
        while (await reader.ReadAsync(ct))
        {
            tables ??= [];
            if (!reader.IsDBNull(1))
            {
                tables.Add(new TableName(reader.GetString(1), reader.GetString(2)));
            }
        }

        return tables;
    }

    // A least-privilege role (LOGIN REPLICATION, SELECT) cannot create or extend a publication: only the tables' owner
    // can. Say what to run as that owner instead of Npgsql's bare "must be owner of table".
    private static async Task ExecuteAsync(NpgsqlDataSource db, string sql, CancellationToken ct)
    {
        await using var command = db.CreateCommand(sql);
        try
        {
            await command.ExecuteNonQueryAsync(ct);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.InsufficientPrivilege)
        {
            throw new InvalidOperationException(
                $"{ReplicationOptions.Section}:PublicationName: the publication needs a change this role may not make ({ex.MessageText}). " +
                $"Run as the tables' owner: {sql};", ex);
        }
    }

    private static string Quote(TableName table) => $"{Ident(table.Schema)}.{Ident(table.Table)}";

    private static string Ident(string name) => $"\"{name.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
