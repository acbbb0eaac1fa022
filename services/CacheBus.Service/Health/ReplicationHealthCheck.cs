using CacheBus.Service.Replication;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace CacheBus.Service.Health;

/// <summary>Ready only while the listener streams from its slot.</summary>
internal sealed class ReplicationHealthCheck(ReplicationState state) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
        Task.FromResult(state switch
        {
            { SlotLost: { } lost } => HealthCheckResult.Unhealthy(lost),
            { Streaming: true } => HealthCheckResult.Healthy("streaming from the slot"),
            { Standby: true } => HealthCheckResult.Healthy("standby: another listener holds the slot"),
            _ => HealthCheckResult.Unhealthy("not streaming from the replication slot"),
        });
}
