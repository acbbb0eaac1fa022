using System.Text.Json;
using System.Threading.Channels;
using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using CacheBus.Service.Rules;
using Npgsql.Replication.PgOutput;
using Npgsql.Replication.PgOutput.Messages;

namespace CacheBus.Service.Replication;

/// <summary>
/// Turns pgoutput messages into row changes holding only the columns CacheBus reads (<see cref="TableSchema.Decoded"/>);
/// the other values are skipped without being decoded, which is most of a wide row's cost. Values are copied out at
/// once: Npgsql reads the stream as it goes, so a value not read before the next message is gone.
/// </summary>
internal sealed class ChangeDecoder(IReadOnlyDictionary<TableName, TableSchema> tables)
{
    /// <summary>The prefix the Django app writes its intents under (<c>pg_logical_emit_message(true, 'cachebus', json)</c>).</summary>
    public const string IntentPrefix = "cachebus";

    private static readonly string[] OperationLabels = ["insert", "update", "delete", "truncate"];
    private readonly Dictionary<(TableName, RowOperation), Prometheus.Counter.Child> _received = [];

    // By relation id, from the Relation message PostgreSQL sends before a table's first row in a session and after
    // every change of its columns: the table's schema and which columns to decode (null: all).
    private readonly Dictionary<uint, (TableSchema? Schema, bool[]? Decode, int Decoded)> _relations = [];
    private uint _xid;
    private DateTimeOffset _commitTime;
    private string _commitLsn = "0/0";
    private int _position;

    public async ValueTask DecodeAsync(PgOutputReplicationMessage message, ChannelWriter<StreamItem> output, CancellationToken ct)
    {
        switch (message)
        {
            case RelationMessage relation:
                var published = tables.GetValueOrDefault(new TableName(relation.Namespace, relation.RelationName));
                bool[]? decode = published?.Decoded is { } decoded ? [.. relation.Columns.Select(c => decoded.Contains(c.ColumnName))] : null;
                _relations[relation.RelationId] = (published, decode, decode?.Count(d => d) ?? 0);
                break;
            case BeginMessage begin:
                _xid = begin.TransactionXid;
                _commitTime = new DateTimeOffset(begin.TransactionCommitTimestamp, TimeSpan.Zero);
                _commitLsn = begin.TransactionFinalLsn.ToString();
                _position = 0;
                break;
            case InsertMessage insert when Schema(insert.Relation) is { } schema:
                var inserted = await ReadAsync(insert.NewRow, insert.Relation, keyOnly: false, ct);
                await output.WriteAsync(StreamItem.Row(Change(schema, RowOperation.Insert, inserted.Values, null, inserted)), ct);
                break;
            case UpdateMessage update when Schema(update.Relation) is { } schema:
                await output.WriteAsync(StreamItem.Row(await UpdateAsync(schema, update, ct)), ct);
                break;
            case DeleteMessage delete when Schema(delete.Relation) is { } schema:
                var old = delete is FullDeleteMessage full
                    ? await ReadAsync(full.OldRow, delete.Relation, keyOnly: false, ct)
                    : await ReadAsync(((KeyDeleteMessage)delete).Key, delete.Relation, keyOnly: true, ct);
                await output.WriteAsync(StreamItem.Row(Change(schema, RowOperation.Delete, old.Values, old, null)), ct);
                break;
            case TruncateMessage truncate:
                foreach (var relation in truncate.Relations)
                {
                    if (Schema(relation) is { } truncated)
                    {
                        await output.WriteAsync(StreamItem.Row(Change(truncated, RowOperation.Truncate, null, null, null)), ct);
                    }
                }

                break;
            case LogicalDecodingMessage { Prefix: IntentPrefix } intent:
                await output.WriteAsync(StreamItem.Requested(await ReadIntentAsync(intent, ct)), ct);
                break;
            case CommitMessage commit:
                await output.WriteAsync(StreamItem.Commit(commit.TransactionEndLsn), ct);
                break;
        }
    }

    // A malformed intent must not stop replication (it would come back after every restart): it travels on, marked,
    // and the consumer sends it to the error queue with the reason.
    private async ValueTask<InvalidationRequested> ReadIntentAsync(LogicalDecodingMessage message, CancellationToken ct)
    {
        using var reader = new StreamReader(message.Data);
        var json = await reader.ReadToEndAsync(ct);
        try
        {
            var intent = JsonSerializer.Deserialize<InvalidationRequested>(json, MassTransit.Serialization.SystemTextJsonMessageSerializer.Options)
                ?? throw new JsonException("the intent is null");
            return intent with { CommitLsn = _commitLsn };
        }
        catch (JsonException ex)
        {
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

    private TableSchema? Schema(RelationMessage relation) => _relations.GetValueOrDefault(relation.RelationId).Schema;

    private async ValueTask<RowChange> UpdateAsync(TableSchema schema, UpdateMessage update, CancellationToken ct)
    {
        // The old row must be read before the new one: both come from the same forward-only stream.
        Row? old = update switch
        {
            FullUpdateMessage full => await ReadAsync(full.OldRow, update.Relation, keyOnly: false, ct),
            IndexUpdateMessage index => await ReadAsync(index.Key, update.Relation, keyOnly: true, ct),
            _ => null,
        };
        var @new = await ReadAsync(update.NewRow, update.Relation, keyOnly: false, ct);
        return Change(schema, RowOperation.Update, old?.Values ?? @new.Values, old, @new);
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

    // A key tuple ('K') carries every column, the non-key ones as NULL: only the key columns are real values.
    private async ValueTask<Row> ReadAsync(ReplicationTuple tuple, RelationMessage relation, bool keyOnly, CancellationToken ct)
    {
        var (_, decode, decoded) = _relations[relation.RelationId];
        var values = new Dictionary<string, string?>(decode is null ? tuple.NumColumns : decoded, StringComparer.Ordinal);
        List<string>? unchangedToast = null;
        var i = 0;
        await foreach (var value in tuple.WithCancellation(ct))
        {
            var index = i++;
            var column = relation.Columns[index];
            if (decode is { } mask && !mask[index] || keyOnly && (column.Flags & RelationMessage.Column.ColumnFlags.PartOfKey) == 0)
            {
                continue;
            }

            if (value.IsUnchangedToastedValue)
            {
                (unchangedToast ??= []).Add(column.ColumnName);
            }
            else
            {
                values[column.ColumnName] = value.IsDBNull ? null : await value.Get<string>(ct);
            }
        }

        return new Row(values, unchangedToast ?? [], keyOnly);
    }

    private sealed record Row(Dictionary<string, string?> Values, IReadOnlyList<string> UnchangedToast, bool KeyOnly);
}
