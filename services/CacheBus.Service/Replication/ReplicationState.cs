namespace CacheBus.Service.Replication;

/// <summary>What the listener is doing now, for readiness and lag metrics.</summary>
internal sealed class ReplicationState
{
    private long _oldestUnconfirmedTicks;
    private volatile bool _streaming;
    private volatile bool _standby;
    private string? _slotLost;

    /// <summary>True while the listener holds the slot and reads from it.</summary>
    public bool Streaming
    {
        get => _streaming;
        set => _streaming = value;
    }

    /// <summary>True while another listener holds the slot and this one waits to take over.</summary>
    public bool Standby
    {
        get => _standby;
        set => _standby = value;
    }

    /// <summary>What was lost when the slot is not the one CacheBus left, until it recovers; readiness reports it.</summary>
    public string? SlotLost
    {
        get => Volatile.Read(ref _slotLost);
        set => Volatile.Write(ref _slotLost, value);
    }

    /// <summary>Commit time of the oldest decoded change the broker has not confirmed, or null when none is waiting.</summary>
    public DateTimeOffset? OldestUnconfirmedCommit
    {
        get => Interlocked.Read(ref _oldestUnconfirmedTicks) is var ticks and > 0 ? new DateTimeOffset(ticks, TimeSpan.Zero) : null;
        set => Interlocked.Exchange(ref _oldestUnconfirmedTicks, value?.UtcTicks ?? 0);
    }
}
