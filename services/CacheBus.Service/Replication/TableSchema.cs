using CacheBus.Service.Rules;

namespace CacheBus.Service.Replication;

/// <summary>A published table as the catalog describes it at start-up.</summary>
internal sealed record TableSchema(TableName Name, IReadOnlyList<string> Columns, IReadOnlyList<string> PrimaryKey);
