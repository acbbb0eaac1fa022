using MassTransit;

namespace CacheBus.Service;

internal static class RetryPolicy
{
    /// <summary>
    /// How every consumer waits out a cache or broker outage: ten retries backing off up to half a minute, then the
    /// message goes to the queue's _error queue with the exception as its reason.
    /// </summary>
    public static void UseCacheOutageRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry => retry.Exponential(
            10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)));
}
