using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Clients of the real memcached, and keys no other test (nor an earlier run) uses.</summary>
internal static class TestMemcached
{
    /// <summary>Long enough for any test, short enough that nothing a test leaves behind outlives the run by much.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);

    /// <summary>A client of the first node alone: what these tests check is the protocol, not where keys go.</summary>
    public static MemcachedClient Client(Action<MemcachedClientOptions>? configure = null) => Client([Servers.MemcachedNodes[0]], configure);

    public static MemcachedClient Client(string[] servers, Action<MemcachedClientOptions>? configure = null)
    {
        var options = new MemcachedClientOptions { Servers = servers };
        configure?.Invoke(options);
        return new MemcachedClient(options, TimeProvider.System);
    }

    /// <summary>A prefix of its own for each test: <c>test:&lt;guid&gt;:</c>.</summary>
    public static string NewPrefix() => $"test:{Guid.NewGuid():N}:";
}
