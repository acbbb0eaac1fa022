using System.Net.Sockets;
using CacheBus.Service.Memcached;
using CacheBus.Service.Metrics;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Health;

/// <summary>
/// Ready only while every memcached node answers: each holds the sessions and snapshots Django hashes to it, which
/// no other node can take for CacheBus, and revocations must reach them all.
/// </summary>
internal sealed class MemcachedHealthCheck(IOptions<MemcachedClientOptions> memcached) : IHealthCheck
{
    public async Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        foreach (var server in MemcachedStats.Servers(memcached.Value))
        {
            try
            {
                await MemcachedStats.ReadAsync(server, cancellationToken);
            }
            catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException)
            {
                return HealthCheckResult.Unhealthy($"memcached {server.Host}:{server.Port} does not answer", ex);
            }
        }

        return HealthCheckResult.Healthy();
    }
}
