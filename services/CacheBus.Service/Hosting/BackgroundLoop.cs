using CacheBus.Service.Metrics;

namespace CacheBus.Service;

/// <summary>
/// How every background loop sorts a failure: one that can heal is counted (<c>cachebus_failures_total</c>) and the
/// loop backs off and goes on; one that cannot is logged as the reason CacheBus stops, and ends the host
/// (BackgroundServiceExceptionBehavior is StopHost), rather than leave a loop silently dead.
/// </summary>
internal static partial class BackgroundLoop
{
    /// <summary>For an exception filter: true when the loop should retry, false when the exception must propagate.</summary>
    public static bool Survives(this ILogger logger, Exception exception, string component, CancellationToken stoppingToken)
    {
        if (stoppingToken.IsCancellationRequested)
        {
            return false;
        }

        if (FailureKind.IsTransient(exception))
        {
            CacheBusMetrics.Failures.WithLabels(component, exception.GetType().Name).Inc();
            return true;
        }

        CacheBusMetrics.Failures.WithLabels(component, "fatal").Inc();
        LogCannotHeal(logger, exception, component);
        return false;
    }

    [LoggerMessage(LogLevel.Critical, "{Component} met a failure that retrying cannot heal; CacheBus stops")]
    private static partial void LogCannotHeal(ILogger logger, Exception exception, string component);
}
