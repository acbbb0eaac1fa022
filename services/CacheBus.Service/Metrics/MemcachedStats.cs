using System.Net.Sockets;
using System.Text;
using CacheBus.Service.Memcached;

namespace CacheBus.Service.Metrics;

/// <summary>
/// Reads memcached's <c>stats</c> from each configured server, for readiness and hit-ratio metrics. One short-lived
/// connection per call: it runs every few seconds, not on the invalidation path.
/// </summary>
internal static class MemcachedStats
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>The servers the memcached client is configured with (already validated, so they parse).</summary>
    public static IEnumerable<MemcachedEndpoint> Servers(MemcachedClientOptions options) =>
        options.Servers.Select(server => MemcachedEndpoint.TryParse(server, out var endpoint)
            ? endpoint
            : throw new InvalidOperationException($"'{server}' is not host:port"));

    public static async Task<Dictionary<string, string>> ReadAsync(MemcachedEndpoint server, CancellationToken ct)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Timeout);
        using var client = new TcpClient();
        await client.ConnectAsync(server.Host, server.Port, timeout.Token);
        await using var stream = client.GetStream();
        await stream.WriteAsync("stats\r\n"u8.ToArray(), timeout.Token);
        using var reader = new StreamReader(stream, Encoding.ASCII);
        var stats = new Dictionary<string, string>(StringComparer.Ordinal);
        while (await reader.ReadLineAsync(timeout.Token) is { } line && line != "END")
        {
            var parts = line.Split(' ');
            if (parts is ["STAT", var name, var value])
            {
                stats[name] = value;
            }
            else
            {
                throw new IOException($"memcached {server.Host}:{server.Port} answered stats with '{line}'");
            }
        }

        return stats;
    }
}
