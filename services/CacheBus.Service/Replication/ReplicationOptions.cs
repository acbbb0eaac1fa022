using System.ComponentModel.DataAnnotations;

namespace CacheBus.Service.Replication;

/// <summary>How the listener reads PostgreSQL's logical replication stream. Bound from <c>CacheBus:Replication</c>.</summary>
public sealed class ReplicationOptions
{
    public const string Section = "CacheBus:Replication";
    public const int DefaultMaxBatchSize = 500;
    public const int DefaultMaxPublishesInFlight = 32;

    /// <summary>The logical replication slot; created with the pgoutput plugin when missing.</summary>
    [RegularExpression("^[a-z0-9_]{1,63}$", ErrorMessage = "must be 1 to 63 lower-case letters, digits or underscores")]
    public string SlotName { get; set; } = "cachebus";

    /// <summary>The publication; created for the tables that have rules when missing.</summary>
    [RegularExpression("^[A-Za-z_][A-Za-z0-9_]{0,62}$", ErrorMessage = "must be a plain PostgreSQL identifier")]
    public string PublicationName { get; set; } = "cachebus";

    /// <summary>Most row changes in one bus message.</summary>
    [Range(1, 10_000)]
    public int MaxBatchSize { get; set; } = DefaultMaxBatchSize;

    /// <summary>Most bus messages published and not yet confirmed by the broker.</summary>
    [Range(1, 1_000)]
    public int MaxPublishesInFlight { get; set; } = DefaultMaxPublishesInFlight;

    /// <summary>How often the confirmed WAL position is reported to PostgreSQL.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan StatusInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Longest wait before the listener reconnects after a failure.</summary>
    [Range(typeof(TimeSpan), "00:00:00.100", "00:10:00")]
    public TimeSpan MaxReconnectDelay { get; set; } = TimeSpan.FromSeconds(30);
}
