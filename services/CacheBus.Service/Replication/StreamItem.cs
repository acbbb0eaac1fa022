using CacheBus.Contracts;
using NpgsqlTypes;

namespace CacheBus.Service.Replication;

/// <summary>What the decoder hands the publisher: a row change, an application's intent, or the end of a committed transaction.</summary>
internal readonly record struct StreamItem(
    RowChange? Change, NpgsqlLogSequenceNumber CommitEnd, InvalidationRequested? Intent = null, DateTimeOffset CommitTime = default, uint Xid = 0)
{
    public static StreamItem Row(RowChange change) => new(change, default, Xid: change.TransactionId);

    public static StreamItem Commit(NpgsqlLogSequenceNumber end, DateTimeOffset time) => new(null, end, CommitTime: time);

    public static StreamItem Requested(InvalidationRequested intent, uint xid) => new(null, default, intent, Xid: xid);
}
