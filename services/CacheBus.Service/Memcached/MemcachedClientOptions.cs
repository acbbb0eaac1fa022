namespace CacheBus.Service.Memcached;

/// <summary>The memcached nodes CacheBus reaches and how. Bound from <c>CacheBus:Memcached</c>.</summary>
public sealed class MemcachedClientOptions
{
    public const string Section = "CacheBus:Memcached";

    public const int DefaultPoolSizePerServer = 4;

    /// <summary>memcached's default item size limit (<c>-I 1m</c>).</summary>
    public const int DefaultMaxValueSize = 1024 * 1024;

    public static readonly TimeSpan DefaultConnectTimeout = TimeSpan.FromSeconds(2);

    public static readonly TimeSpan DefaultOperationTimeout = TimeSpan.FromSeconds(2);

    /// <summary>
    /// Nodes as <c>host:port</c>, spelled as in Django's LOCATION (the node names are hashed, so <c>localhost</c> is not
    /// <c>127.0.0.1</c>; the order does not matter). Single-key operations go to the node Django's client picks for the
    /// key; DeleteMany and TouchMany go to every node.
    /// </summary>
    public string[] Servers { get; set; } = [];

    /// <summary>Most connections open to one node at a time; more callers wait (within their operation timeout).</summary>
    public int PoolSizePerServer { get; set; } = DefaultPoolSizePerServer;

    public TimeSpan ConnectTimeout { get; set; } = DefaultConnectTimeout;

    /// <summary>Bounds a whole operation (waiting for a connection included); a batch gets it per pipeline chunk.</summary>
    public TimeSpan OperationTimeout { get; set; } = DefaultOperationTimeout;

    /// <summary>
    /// Values above this are refused before anything is sent. memcached counts its item header and the key against
    /// its own limit too, so a value just under 1 MB can still get "SERVER_ERROR object too large for cache".
    /// </summary>
    public int MaxValueSize { get; set; } = DefaultMaxValueSize;
}
