namespace CacheBus.Service.Replication;

/// <summary>How the listener reads PostgreSQL's logical replication stream. Bound from <c>CacheBus:Replication</c>.</summary>
public sealed class ReplicationOptions
{
    public const string Section = "CacheBus:Replication";
    public const int DefaultMaxBatchSize = 500;
    public const int DefaultMaxPublishesInFlight = 32;
    public const int DefaultMaxMessageBytes = 128 * 1024;

    /// <summary>The logical replication slot; created with the pgoutput plugin when missing.</summary>
    public string SlotName { get; set; } = "cachebus";

    /// <summary>The publication; created for the tables that have rules when missing.</summary>
    public string PublicationName { get; set; } = "cachebus";

    /// <summary>Most row changes one bus message covers; a transaction with more goes in several messages.</summary>
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>
    /// About the most bytes of keys (or rows, for tables that publish them) in one bus message; a transaction with more
    /// goes in several. Keep it well below the broker's max_message_size.
    /// </summary>
    public int MaxMessageBytes { get; set; } = DefaultMaxMessageBytes;

    /// <summary>
    /// Shortest time between two messages that end with a transaction: the transactions committed meanwhile go
    /// together in the next one. A change after a quiet moment leaves at once. Zero (the default) sends each ready
    /// batch at once: at a steady 2,000 commits/s 2 ms saved the broker and the service CPU but did not shorten the
    /// latency tail on 2 cores (README, "The messages on the bus").
    /// </summary>
    public TimeSpan BatchLinger { get; set; } = TimeSpan.Zero;

    /// <summary>Most bus messages published and not yet confirmed by the broker.</summary>
    public int MaxPublishesInFlight { get; set; } = DefaultMaxPublishesInFlight;

    /// <summary>
    /// Longest wait for the broker to confirm one publish. A publish that hangs (seen after a broker restart) would
    /// otherwise stall the stream for good; past this the session restarts and replays from the slot.
    /// </summary>
    public TimeSpan PublishTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>How often the confirmed WAL position is reported to PostgreSQL.</summary>
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How often the listener writes a heartbeat into the WAL (<c>pg_logical_emit_message</c>). When the published
    /// tables are idle but the database is busy, PostgreSQL sends the slot nothing to confirm, and the slot would keep
    /// every WAL segment since its last change (Debezium's heartbeat solves the same). Zero turns it off.
    /// </summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// What to do when a rule needs a column of the old row that the table's REPLICA IDENTITY does not send: refuse
    /// to start (the default), or start, warn, and let such templates invalidate nothing for the old row.
    /// </summary>
    public ReplicaIdentityMode ReplicaIdentity { get; set; } = ReplicaIdentityMode.Refuse;

    /// <summary>
    /// What to do when the slot is not the one CacheBus left (<see cref="SlotGuard"/>): refuse to stream, with
    /// readiness saying what was lost (the default), or flush <see cref="FlushPrefixes"/> (and revoke every session,
    /// when sessions are on), create a slot and go on.
    /// </summary>
    public SlotLostRecovery OnSlotLost { get; set; } = SlotLostRecovery.Refuse;

    /// <summary>
    /// Redis key patterns (SCAN MATCH globs, for example <c>:1:*</c> for Django's default KEY_PREFIX and VERSION) that
    /// hold everything the rules could have invalidated; deleted on every node after a lost slot when
    /// <see cref="OnSlotLost"/> is <c>FlushPrefixes</c>.
    /// </summary>
    public List<string> FlushPrefixes { get; set; } = [];

    /// <summary>Longest wait before the listener reconnects after a failure.</summary>
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
}

public enum SlotLostRecovery
{
    Refuse,
    FlushPrefixes,
}

public enum ReplicaIdentityMode
{
    Refuse,
    Degrade,
}
