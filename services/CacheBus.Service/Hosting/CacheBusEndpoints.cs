using System.Text.Json;
using Microsoft.AspNetCore.Diagnostics.HealthChecks;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Prometheus;

namespace CacheBus.Service;

/// <summary>The HTTP surface: Prometheus metrics and the two health endpoints an orchestrator probes.</summary>
public static class CacheBusEndpoints
{
    public const string ReadyTag = "ready";

    public static IEndpointRouteBuilder MapCacheBusEndpoints(this IEndpointRouteBuilder endpoints)
    {
        // Live: the process answers. Ready: every server this role needs answers (the checks tagged "ready").
        endpoints.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false, ResponseWriter = WriteAsync });
        endpoints.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = c => c.Tags.Contains(ReadyTag), ResponseWriter = WriteAsync });
        endpoints.MapMetrics("/metrics");
        return endpoints;
    }

    private static Task WriteAsync(HttpContext context, HealthReport report)
    {
        context.Response.ContentType = "application/json";
        return JsonSerializer.SerializeAsync(context.Response.Body, new
        {
            status = report.Status.ToString(),
            checks = report.Entries.ToDictionary(e => e.Key, e => new { status = e.Value.Status.ToString(), description = e.Value.Description }),
        }, cancellationToken: context.RequestAborted);
    }
}
