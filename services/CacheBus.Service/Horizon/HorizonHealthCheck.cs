using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Horizon;

/// <summary>Reports the horizon's age; Degraded past <see cref="HorizonOptions.ReadyAge"/> (reads with a MAX_STALENESS then bypass the cache).</summary>
internal sealed class HorizonHealthCheck(HorizonWriter writer, IOptions<HorizonOptions> options) : IHealthCheck
{
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        var age = writer.Age;
        var text = writer.Written ? $"horizon {age.TotalSeconds:0.###} s old" : $"no horizon written in {age.TotalSeconds:0.#} s";
        return Task.FromResult(writer.Written && age <= options.Value.ReadyAge ? HealthCheckResult.Healthy(text) : HealthCheckResult.Degraded(text));
    }
}
