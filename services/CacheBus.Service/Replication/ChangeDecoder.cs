using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using CacheBus.Service.Rules;
using NpgsqlTypes;

namespace CacheBus.Service.Replication;

/// <summary>
/// Turns pgoutput messages (protocol version 1, read as bytes) into row changes holding only the columns CacheBus
/// reads (<see cref="TableSchema.Decoded"/>): any other value is stepped over without being decoded. Npgsql's typed
/// pgoutput API reads every value through an asynchronous per-value reader; on this loop, the stream's serial
/// ceiling, that was 44% of the service's CPU while a backlog drained (perf), and the drain ran 30-40% faster
/// without it. Npgsql still owns the connection, authentication, keepalives and status updates.
/// </summary>
internal sealed class ChangeDecoder(IReadOnlyDictionary<TableName, TableSchema> tables)
{
    /// <summary>The prefix the Django app writes its intents under (<c>pg_logical_emit_message(true, 'cachebus', json)</c>).</summary>
    public const string IntentPrefix = "cachebus";

    private static readonly string[] OperationLabels = ["insert", "update", "delete", "truncate"];
    private readonly Dictionary<(TableName, RowOperation), Prometheus.Counter.Child> _received = [];

    // By relation id, from the Relation message PostgreSQL sends before a table's first row in a session and after
    // every change of its columns.
    private readonly Dictionary<int, Relation> _relations = [];
    private readonly List<StreamItem> _items = [];
    private uint _xid;
    private DateTimeOffset _commitTime;
    private string _commitLsn = "0/0";
    private int _position;

    public async ValueTask DecodeAsync(ReadOnlyMemory<byte> message, ChannelWriter<StreamItem> output, CancellationToken ct)
    {
        _items.Clear();
        Decode(message.Span);
        foreach (var item in _items)
        {
            if (!output.TryWrite(item))
            {
                await output.WriteAsync(item, ct);
            }
        }
    }

    private void Decode(ReadOnlySpan<byte> message)
    {
        var reader = new PgOutputReader(message);
        switch ((char)reader.Byte())
        {
            case 'B':
                _commitLsn = new NpgsqlLogSequenceNumber((ulong)reader.Int64()).ToString();
                _commitTime = reader.Timestamp();
                _xid = (uint)reader.Int32();
                _position = 0;
                break;
            case 'C':
                reader.Skip(1 + 8); // flags, the commit's LSN
                _items.Add(StreamItem.Commit(new NpgsqlLogSequenceNumber((ulong)reader.Int64()), _commitTime));
                break;
            case 'R':
                ReadRelation(ref reader);
                break;
            case 'I' when Published(ref reader) is { } relation:
                reader.Skip(1); // 'N'
                var inserted = ReadRow(ref reader, relation, keyOnly: false);
                _items.Add(StreamItem.Row(Change(relation.Schema!, RowOperation.Insert, inserted.Values, null, inserted)));
                break;
            case 'U' when Published(ref reader) is { } relation:
                // 'K': the old key (REPLICA IDENTITY DEFAULT or USING INDEX, the key changed), 'O': the old row (FULL).
                var kind = (char)reader.Byte();
                var old = kind is 'K' or 'O' ? ReadRow(ref reader, relation, keyOnly: kind == 'K') : null;
                if (old is not null)
                {
                    reader.Skip(1); // 'N'
                }

                var @new = ReadRow(ref reader, relation, keyOnly: false);
                _items.Add(StreamItem.Row(Change(relation.Schema!, RowOperation.Update, old?.Values ?? @new.Values, old, @new)));
                break;
            case 'D' when Published(ref reader) is { } relation:
                var deleted = ReadRow(ref reader, relation, keyOnly: (char)reader.Byte() == 'K');
                _items.Add(StreamItem.Row(Change(relation.Schema!, RowOperation.Delete, deleted.Values, deleted, null)));
                break;
            case 'T':
                var count = reader.Int32();
                reader.Skip(1); // options: CASCADE, RESTART IDENTITY
                for (var i = 0; i < count; i++)
                {
                    if (_relations.GetValueOrDefault(reader.Int32())?.Schema is { } truncated)
                    {
                        _items.Add(StreamItem.Row(Change(truncated, RowOperation.Truncate, null, null, null)));
                    }
                }

                break;
            case 'M':
                reader.Skip(1 + 8); // flags (transactional), the message's LSN
                if (reader.String() == IntentPrefix)
                {
                    _items.Add(StreamItem.Requested(ReadIntent(reader.Bytes(reader.Int32())), _xid));
                }

                break;
        }
    }

    private Relation? Published(ref PgOutputReader reader) => _relations.GetValueOrDefault(reader.Int32()) is { Schema: not null } relation ? relation : null;

    private void ReadRelation(ref PgOutputReader reader)
    {
        var id = reader.Int32();
        var name = new TableName(reader.String() is { Length: > 0 } ns ? ns : "pg_catalog", reader.String());
        reader.Skip(1); // replica identity
        var columns = new Column[reader.Int16()];
        var schema = tables.GetValueOrDefault(name);
        for (var i = 0; i < columns.Length; i++)
        {
            var isKey = (reader.Byte() & 1) != 0;
            var column = reader.String();
            reader.Skip(4 + 4); // type oid, type modifier: every value comes as text
            columns[i] = new Column(column, isKey, schema is not null && (schema.Decoded is null || schema.Decoded.Contains(column)));
        }

        _relations[id] = new Relation(schema, columns, columns.Count(c => c.Decoded));
    }

    // A key tuple ('K') carries every column, the non-key ones as NULL: only the key columns are real values.
    private static Row ReadRow(ref PgOutputReader reader, Relation relation, bool keyOnly)
    {
        var count = reader.Int16();
        var values = new Dictionary<string, string?>(relation.Decoded, StringComparer.Ordinal);
        List<string>? unchangedToast = null;
        for (var i = 0; i < count; i++)
        {
            var column = relation.Columns[i];
            var wanted = column.Decoded && (!keyOnly || column.IsKey);
            switch ((char)reader.Byte())
            {
                case 'n' when wanted:
                    values[column.Name] = null;
                    break;
                case 'u' when wanted:
                    (unchangedToast ??= []).Add(column.Name);
                    break;
                case 't' or 'b':
                    var bytes = reader.Bytes(reader.Int32());
                    if (wanted)
                    {
                        values[column.Name] = Encoding.UTF8.GetString(bytes);
                    }

                    break;
            }
        }

        return new Row(values, unchangedToast ?? [], keyOnly);
    }

    // A malformed intent must not stop replication (it would come back after every restart): it travels on, marked,
    // and the consumer sends it to the error queue with the reason.
    private InvalidationRequested ReadIntent(ReadOnlySpan<byte> content)
    {
        try
        {
            var intent = JsonSerializer.Deserialize<InvalidationRequested>(content, MassTransit.Serialization.SystemTextJsonMessageSerializer.Options)
                ?? throw new JsonException("the intent is null");
            return intent with { CommitLsn = _commitLsn };
        }
        catch (JsonException ex)
        {
            var json = Encoding.UTF8.GetString(content);
            return new InvalidationRequested { CommitLsn = _commitLsn, Malformed = $"{ex.Message} in: {json[..Math.Min(json.Length, 500)]}" };
        }
    }

    // Metric children cached per table and operation: WithLabels allocates, and this runs for every row.
    private Prometheus.Counter.Child Received(TableSchema schema, RowOperation operation)
    {
        var key = (schema.Name, operation);
        if (!_received.TryGetValue(key, out var child))
        {
            _received[key] = child = CacheBusMetrics.ChangesReceived.WithLabels(schema.Name.Table, OperationLabels[(int)operation]);
        }

        return child;
    }

    private RowChange Change(TableSchema schema, RowOperation operation, IReadOnlyDictionary<string, string?>? keySource, Row? old, Row? @new)
    {
        Received(schema, operation).Inc();
        return new RowChange
        {
            Schema = schema.Name.Schema,
            Table = schema.Name.Table,
            Operation = operation,
            Key = keySource is null ? new Dictionary<string, string?>() : KeyOf(schema, keySource),
            OldValues = old?.Values,
            NewValues = @new?.Values,
            UnchangedToastColumns = @new?.UnchangedToast ?? [],
            ChangedColumns = ChangedColumns(operation, old, @new),
            CommitLsn = _commitLsn,

            // Counted, not the change's own WAL position: the rows of one multi-insert (COPY) share one WAL record.
            Position = _position++,
            CommitTime = _commitTime,
            TransactionId = _xid,
        };
    }

    private static Dictionary<string, string?> KeyOf(TableSchema schema, IReadOnlyDictionary<string, string?> row)
    {
        var key = new Dictionary<string, string?>(schema.PrimaryKey.Count, StringComparer.Ordinal);
        foreach (var column in schema.PrimaryKey)
        {
            if (row.TryGetValue(column, out var value))
            {
                key[column] = value;
            }
        }

        return key;
    }

    private static IReadOnlyList<string>? ChangedColumns(RowOperation operation, Row? old, Row? @new) => operation switch
    {
        RowOperation.Insert => [.. @new!.Values.Keys],
        RowOperation.Delete => [.. old!.Values.Keys],
        RowOperation.Update when old is { KeyOnly: false } => [.. @new!.Values
            .Where(c => !old.Values.TryGetValue(c.Key, out var before) || before != c.Value)
            .Select(c => c.Key)],
        _ => null,
    };

    private sealed record Row(Dictionary<string, string?> Values, IReadOnlyList<string> UnchangedToast, bool KeyOnly);

    /// <summary>A published table's columns in the stream's order; <see cref="Schema"/> is null for a table CacheBus has no rules for.</summary>
    private sealed record Relation(TableSchema? Schema, Column[] Columns, int Decoded);

    private readonly record struct Column(string Name, bool IsKey, bool Decoded);
}
