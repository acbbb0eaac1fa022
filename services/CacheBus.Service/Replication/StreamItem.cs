using CacheBus.Contracts;
using NpgsqlTypes;

namespace CacheBus.Service.Replication;

/// <summary>What the decoder hands the publisher: a row change, or the end of a committed transaction.</summary>
internal readonly record struct StreamItem(RowChange? Change, NpgsqlLogSequenceNumber CommitEnd)
{
    public static StreamItem Row(RowChange change) => new(change, default);

    public static StreamItem Commit(NpgsqlLogSequenceNumber end) => new(null, end);
}
