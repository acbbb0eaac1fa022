using Prometheus;

namespace CacheBus.Service.Metrics;

/// <summary>Every metric CacheBus exports on <c>/metrics</c>, defined in one place so names never drift.</summary>
internal static class CacheBusMetrics
{
    public static readonly Counter ChangesReceived = Prometheus.Metrics.CreateCounter(
        "cachebus_changes_received_total", "Committed row changes decoded from the replication stream.", "table", "operation");

    public static readonly Counter MessagesPublished = Prometheus.Metrics.CreateCounter(
        "cachebus_messages_published_total", "Bus messages the broker confirmed.", "message");

    public static readonly Counter MessagesConsumed = Prometheus.Metrics.CreateCounter(
        "cachebus_messages_consumed_total", "Bus messages a consumer applied.", "consumer");

    public static readonly Counter Evictions = Prometheus.Metrics.CreateCounter(
        "cachebus_evictions_total", "Cache entries invalidated, by backend and kind (key, tag, namespace).", "backend", "kind");

    public static readonly Counter Sessions = Prometheus.Metrics.CreateCounter(
        "cachebus_sessions_total", "Django sessions revoked, refreshed, or found expired when refreshed.", "outcome");

    public static readonly Counter Warms = Prometheus.Metrics.CreateCounter(
        "cachebus_warms_total", "Fragment warm attempts by fragment and outcome (warmed, or the failure's reason).", "fragment", "outcome");

    public static readonly Counter Failures = Prometheus.Metrics.CreateCounter(
        "cachebus_failures_total", "Failures, by component and reason; each one is retried or reported.", "component", "reason");

    public static readonly Counter RowValuesOmitted = Prometheus.Metrics.CreateCounter(
        "cachebus_row_values_omitted_total", "Rows published without their values (PublishRows) because one row was larger than MaxMessageBytes.", "table");

    public static readonly Counter SlotsLost = Prometheus.Metrics.CreateCounter(
        "cachebus_slot_lost_total", "Times the listener found its slot dropped, invalidated or replaced, by what it did (Refuse, FlushPrefixes).", "recovery");

    public static readonly Histogram CommitToApplied = Prometheus.Metrics.CreateHistogram(
        "cachebus_commit_to_applied_seconds", "Time from a row's commit in PostgreSQL to its invalidation being applied.",
        new HistogramConfiguration
        {
            LabelNames = ["consumer"],
            Buckets = Histogram.ExponentialBuckets(0.001, 2, 16), // 1 ms .. 33 s
        });

    public static readonly Gauge LagBytes = Prometheus.Metrics.CreateGauge(
        "cachebus_replication_lag_bytes", "Server WAL position minus the slot's confirmed flush position.");

    public static readonly Gauge LagSeconds = Prometheus.Metrics.CreateGauge(
        "cachebus_replication_lag_seconds", "Age of the oldest decoded change not yet confirmed by the broker (0 when none).");

    public static readonly Gauge HorizonAge = Prometheus.Metrics.CreateGauge(
        "cachebus_horizon_age_seconds", "Age of the freshness horizon this consumer last wrote (every change committed before it is applied); before the first, the consumer's uptime.");

    public static readonly Gauge RetainedWalBytes = Prometheus.Metrics.CreateGauge(
        "cachebus_slot_retained_wal_bytes", "WAL the slot keeps on the server (server position minus restart position).");

    public static readonly Gauge CacheHitRatio = Prometheus.Metrics.CreateGauge(
        "cachebus_cache_hit_ratio", "Hits / (hits + misses) since the cache server started, sampled from Redis INFO and memcached stats.", "backend");

    public static readonly Gauge CacheHits = Prometheus.Metrics.CreateGauge(
        "cachebus_cache_hits", "Cache hits since the cache server started (rate() of it gives the live hit ratio).", "backend");

    public static readonly Gauge CacheMisses = Prometheus.Metrics.CreateGauge(
        "cachebus_cache_misses", "Cache misses since the cache server started.", "backend");
}
