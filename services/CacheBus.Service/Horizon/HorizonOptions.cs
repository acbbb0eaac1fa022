namespace CacheBus.Service.Horizon;

/// <summary>The freshness horizon (what <c>cachebus_django</c>'s MAX_STALENESS reads). Bound from <c>CacheBus:Horizon</c>.</summary>
public sealed class HorizonOptions
{
    public const string Section = "CacheBus:Horizon";

    /// <summary>
    /// How often the horizon moves on idle tables: the heartbeat commits this often (a tiny transaction each, so
    /// 20 a second at the default), and the listener sends a tick at most twice as often. The horizon's age stays
    /// about this much plus the path's delay, so keep it well under the shortest MAX_STALENESS. Zero turns it off.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromMilliseconds(50);

    /// <summary>The Redis key holding the horizon, milliseconds since 1970 (UTC) on PostgreSQL's clock.</summary>
    public string Key { get; set; } = "cachebus:horizon";

    /// <summary>Readiness reports Degraded once the horizon written by this consumer is older than this.</summary>
    public TimeSpan ReadyAge { get; set; } = TimeSpan.FromSeconds(5);

    public bool Enabled => Interval > TimeSpan.Zero;
}
