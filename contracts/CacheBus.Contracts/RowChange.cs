using System.Text.Json.Serialization;

namespace CacheBus.Contracts;

/// <summary>
/// One committed change to one row (or, for <see cref="RowOperation.Truncate"/>, to a whole table). Column values
/// are PostgreSQL's text representation; a JSON null is SQL NULL.
/// </summary>
public sealed record RowChange
{
    /// <summary>The table's schema, for example <c>public</c>.</summary>
    [JsonPropertyName("schema")]
    public required string Schema { get; init; }

    /// <summary>The table's name, for example <c>products</c>.</summary>
    [JsonPropertyName("table")]
    public required string Table { get; init; }

    /// <summary>What happened to the row.</summary>
    [JsonPropertyName("operation")]
    public required RowOperation Operation { get; init; }

    /// <summary>Primary-key column values of the row (of the old row when the key changed). Empty for a truncate.</summary>
    [JsonPropertyName("key")]
    [JsonConverter(typeof(ColumnValuesJsonConverter))]
    public IReadOnlyDictionary<string, string?> Key { get; init; } = new Dictionary<string, string?>();

    /// <summary>
    /// The row before the change, as far as the table's REPLICA IDENTITY sends it (FULL: every column; DEFAULT:
    /// none, or the key when it changed). Null when PostgreSQL sent no old row.
    /// </summary>
    [JsonPropertyName("oldValues")]
    [JsonConverter(typeof(ColumnValuesJsonConverter))]
    public IReadOnlyDictionary<string, string?>? OldValues { get; init; }

    /// <summary>
    /// The row after the change (insert and update). A TOASTed column that did not change is absent here and named
    /// in <see cref="UnchangedToastColumns"/>: it was not sent, and it is not NULL.
    /// </summary>
    [JsonPropertyName("newValues")]
    [JsonConverter(typeof(ColumnValuesJsonConverter))]
    public IReadOnlyDictionary<string, string?>? NewValues { get; init; }

    /// <summary>Columns whose unchanged TOASTed value PostgreSQL did not send.</summary>
    [JsonPropertyName("unchangedToastColumns")]
    public IReadOnlyList<string> UnchangedToastColumns { get; init; } = [];

    /// <summary>
    /// Columns whose value changed: for an insert every column of the new row, for a delete every column of the old
    /// row as sent; for an update, known only when the whole old row was sent (REPLICA IDENTITY FULL), null otherwise.
    /// </summary>
    [JsonPropertyName("changedColumns")]
    public IReadOnlyList<string>? ChangedColumns { get; init; }

    /// <summary>The commit's LSN in PostgreSQL's text form, for example <c>0/16B3748</c>.</summary>
    [JsonPropertyName("commitLsn")]
    public required string CommitLsn { get; init; }

    /// <summary>
    /// The change's place in its transaction, from 0. Every change of a transaction carries the same
    /// <see cref="CommitLsn"/>, also when the transaction is split over several messages; with this they are ordered
    /// strictly, so a consumer can tell a later change of the same transaction from a redelivered one.
    /// </summary>
    [JsonPropertyName("position")]
    public int Position { get; init; }

    /// <summary>When the transaction committed.</summary>
    [JsonPropertyName("commitTime")]
    public required DateTimeOffset CommitTime { get; init; }

    /// <summary>
    /// True when the row alone was larger than one message may be (CacheBus:Replication:MaxMessageBytes):
    /// <see cref="OldValues"/> and <see cref="NewValues"/> were left out, the rest is as always; read the row by
    /// <see cref="Key"/> if its values are needed. Absent (false) otherwise.
    /// </summary>
    [JsonPropertyName("valuesOmitted")]
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingDefault)]
    public bool ValuesOmitted { get; init; }

    /// <summary>The PostgreSQL transaction id (xid).</summary>
    [JsonPropertyName("transactionId")]
    public required uint TransactionId { get; init; }
}
