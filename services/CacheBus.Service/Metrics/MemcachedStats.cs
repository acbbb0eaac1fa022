using System.Globalization;
using System.Net.Sockets;
using System.Text;

namespace CacheBus.Service.Metrics;

/// <summary>
/// Reads memcached's <c>stats</c> from each configured server, for readiness and hit-ratio metrics. One short-lived
/// connection per call: it runs every few seconds, not on the invalidation path.
/// </summary>
internal static class MemcachedStats
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>Servers in <c>host:port[,host:port...]</c>, as <c>ConnectionStrings:Memcached</c> lists them.</summary>
    public static IReadOnlyList<(string Host, int Port)> ParseServers(string servers) =>
        [.. servers.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(server =>
        {
            var colon = server.LastIndexOf(':');
            return colon > 0 && int.TryParse(server[(colon + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var port)
                ? (server[..colon], port)
                : (server, 11211);
        })];

    public static async Task<Dictionary<string, string>> ReadAsync((string Host, int Port) server, CancellationToken ct)
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
