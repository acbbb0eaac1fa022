using CacheBus.Service.Rules;
using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>
/// Reads the configured tables from PostgreSQL's catalog and checks the rules against them, so a typo in a table
/// or column name stops start-up instead of silently never invalidating anything.
/// </summary>
internal static class SchemaCatalog
{
    private const string ColumnsSql = """
        SELECT a.attname,
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey))
        FROM pg_attribute a
        WHERE a.attrelid = to_regclass(format('%I.%I', $1, $2)) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """;

    public static async Task<IReadOnlyDictionary<TableName, TableSchema>> LoadAsync(
        NpgsqlDataSource db, RuleSet rules, CancellationToken ct)
    {
        var schemas = new Dictionary<TableName, TableSchema>();
        var failures = new List<string>();
        foreach (var rule in rules.Tables)
        {
            var schema = await ReadAsync(db, rule.Table, ct);
            if (schema is null)
            {
                failures.Add($"{rule.SettingPath}: table {rule.Table} does not exist");
                continue;
            }

            foreach (var target in rule.Targets)
            {
                foreach (var part in target.Parts)
                {
                    foreach (var column in part.Columns.Where(c => !schema.Columns.Contains(c)))
                    {
                        failures.Add($"{target.SettingPath}: '{part}' names column '{column}', which table {rule.Table} does not have");
                    }
                }
            }

            schemas[rule.Table] = schema;
        }

        return failures.Count == 0 ? schemas : throw new CacheBusConfigurationException(failures);
    }

    private static async Task<TableSchema?> ReadAsync(NpgsqlDataSource db, TableName table, CancellationToken ct)
    {
        await using var command = db.CreateCommand(ColumnsSql);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = new List<string>();
        var key = new List<string>();
        while (await reader.ReadAsync(ct))
        {
            columns.Add(reader.GetString(0));
            if (reader.GetBoolean(1))
            {
                key.Add(reader.GetString(0));
            }
        }

        return columns.Count == 0 ? null : new TableSchema(table, columns, key);
    }
}
