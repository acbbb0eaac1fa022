using CacheBus.Service.Rules;

namespace CacheBus.Service.Replication;

/// <summary>
/// A published table as the catalog describes it at start-up, with the columns its REPLICA IDENTITY puts into the
/// old row of an UPDATE or DELETE (all with FULL, the key with DEFAULT, the index's with USING INDEX, none with NOTHING).
/// </summary>
internal sealed record TableSchema(
    TableName Name, IReadOnlyList<string> Columns, IReadOnlyList<string> PrimaryKey, string ReplicaIdentity, IReadOnlyList<string> OldRowColumns)
{
    /// <summary>
    /// The columns the listener reads out of each row: the key and what the rules and the sessions policy read, or
    /// null for every column (the table publishes its rows). Any other value is skipped undecoded.
    /// </summary>
    public IReadOnlySet<string>? Decoded { get; init; }
}
