using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;
using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>
/// Reads the configured tables from PostgreSQL's catalog and checks the rules and the session columns against them,
/// so a typo in a table or column name stops start-up instead of silently never invalidating anything.
/// </summary>
internal static class SchemaCatalog
{
    private const string ColumnsSql = """
        SELECT a.attname,
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = a.attrelid AND i.indisprimary AND a.attnum = ANY (i.indkey)),
               EXISTS (SELECT 1 FROM pg_index i
                       WHERE i.indrelid = a.attrelid AND i.indisreplident AND a.attnum = ANY (i.indkey)),
               c.relreplident::text
        FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
        WHERE a.attrelid = to_regclass(format('%I.%I', $1, $2)) AND a.attnum > 0 AND NOT a.attisdropped
        ORDER BY a.attnum
        """;

    /// <summary>The tables, and the replica-identity problems that <see cref="ReplicaIdentityMode.Degrade"/> lets pass.</summary>
    public static async Task<(IReadOnlyDictionary<TableName, TableSchema> Tables, IReadOnlyList<string> Warnings)> LoadAsync(
        NpgsqlDataSource db, RuleSet rules, SessionsOptions sessions, ReplicaIdentityMode mode, CancellationToken ct)
    {
        var schemas = new Dictionary<TableName, TableSchema>();
        var failures = new List<string>();
        var warnings = new List<string>();
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
                        failures.Add(MissingColumn($"{target.SettingPath}: '{part}'", column, schema));
                    }
                }
            }

            (mode == ReplicaIdentityMode.Refuse ? failures : warnings).AddRange(ReplicaIdentityProblems(rule, schema));
            schemas[rule.Table] = schema with { Decoded = rule.PublishRows ? null : new HashSet<string>([.. schema.PrimaryKey, .. rule.Columns], StringComparer.Ordinal) };
        }

        // The sessions table has rules (SessionsOptionsValidator sees to it), so it was read above, or failed.
        if (sessions.Table is { } table && schemas.GetValueOrDefault(TableName.Parse(table)) is { } profiles)
        {
            failures.AddRange(SessionColumnProblems(sessions, profiles));
            (mode == ReplicaIdentityMode.Refuse ? failures : warnings).AddRange(SessionReplicaIdentityProblems(sessions, profiles));
            if (profiles.Decoded is { } decoded)
            {
                schemas[profiles.Name] = profiles with
                {
                    Decoded = new HashSet<string>([.. decoded, sessions.UserIdColumn, .. sessions.SecurityColumns, .. sessions.SnapshotColumns], StringComparer.Ordinal),
                };
            }
        }

        return failures.Count == 0 ? (schemas, warnings) : throw new CacheBusConfigurationException(failures);
    }

    // A template filled from the old row of an UPDATE or DELETE needs its columns there, or it invalidates nothing.
    private static IEnumerable<string> ReplicaIdentityProblems(TableRule rule, TableSchema schema)
    {
        foreach (var target in rule.Targets)
        {
            var missing = target.Parts.SelectMany(p => p.Columns).Where(c => !schema.OldRowColumns.Contains(c)).Distinct().ToList();
            if (missing.Count > 0 && missing.All(schema.Columns.Contains))
            {
                yield return OldRowProblem(target.SettingPath, string.Join(", ", missing.Select(c => $"'{c}'")), several: missing.Count > 1, schema, "");
            }
        }
    }

    private static IEnumerable<string> SessionColumnProblems(SessionsOptions sessions, TableSchema schema)
    {
        const string path = SessionsOptions.Section;
        var named = sessions.SecurityColumns.Select((c, i) => (Setting: $"{path}:SecurityColumns:{i}:", Column: c))
            .Concat(sessions.SnapshotColumns.Select((c, i) => (Setting: $"{path}:SnapshotColumns:{i}:", Column: c)))
            .Prepend((Setting: $"{path}:UserIdColumn:", Column: sessions.UserIdColumn));
        return named.Where(n => !schema.Columns.Contains(n.Column)).Select(n => MissingColumn(n.Setting, n.Column, schema));
    }

    // The policy tells a security change from any other by comparing the whole old row with the new one (only FULL
    // sends it, so anything else revokes on every update), and finds a deleted row's user in the old row.
    private static IEnumerable<string> SessionReplicaIdentityProblems(SessionsOptions sessions, TableSchema schema)
    {
        if (schema.ReplicaIdentity != "FULL")
        {
            var deletes = schema.OldRowColumns.Contains(sessions.UserIdColumn) || !schema.Columns.Contains(sessions.UserIdColumn)
                ? ""
                : $", and a deleted row would not say whose sessions to end ('{sessions.UserIdColumn}' is not sent)";
            yield return OldRowProblem($"{SessionsOptions.Section}:Table", "every column", several: true, schema,
                $"Without them a change of SecurityColumns cannot be told from any other: every update of a profile would log its user out{deletes}. ");
        }
    }

    private static string MissingColumn(string setting, string column, TableSchema schema) =>
        $"{setting} names column '{column}', which table {schema.Name} does not have";

    private static string OldRowProblem(string path, string needs, bool several, TableSchema schema, string consequence) =>
        $"{path}: needs {needs} of the row before an UPDATE or DELETE, but table {schema.Name} has REPLICA IDENTITY {schema.ReplicaIdentity}, "
        + $"which does not send {(several ? "them" : "it")}. {consequence}Run: ALTER TABLE {schema.Name} REPLICA IDENTITY FULL;";

    private static async Task<TableSchema?> ReadAsync(NpgsqlDataSource db, TableName table, CancellationToken ct)
    {
        await using var command = db.CreateCommand(ColumnsSql);
        command.Parameters.Add(new NpgsqlParameter { Value = table.Schema });
        command.Parameters.Add(new NpgsqlParameter { Value = table.Table });
        await using var reader = await command.ExecuteReaderAsync(ct);
        var columns = new List<string>();
        var key = new List<string>();
        var identityIndex = new List<string>();
        var identity = "d";
        while (await reader.ReadAsync(ct))
        {
            columns.Add(reader.GetString(0));
            if (reader.GetBoolean(1))
            {
                key.Add(reader.GetString(0));
            }

            if (reader.GetBoolean(2))
            {
                identityIndex.Add(reader.GetString(0));
            }

            identity = reader.GetString(3);
        }

        return columns.Count == 0 ? null : identity switch
        {
            "f" => new TableSchema(table, columns, key, "FULL", columns),
            "i" => new TableSchema(table, columns, key, "USING INDEX", identityIndex),
            "n" => new TableSchema(table, columns, key, "NOTHING", []),
            _ => new TableSchema(table, columns, key, "DEFAULT", key),
        };
    }
}
