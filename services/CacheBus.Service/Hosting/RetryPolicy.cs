using MassTransit;

namespace CacheBus.Service;

internal static class RetryPolicy
{
    /// <summary>
    /// How every consumer waits out a cache or broker outage: ten retries backing off up to half a minute, then the
    /// message goes to the queue's _error queue with the exception as its reason. A message that can never be
    /// applied (<see cref="FailureKind.IsPermanent"/>) goes there at once.
    /// </summary>
    public static void UseCacheOutageRetry(this IReceiveEndpointConfigurator endpoint) =>
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<Exception>(FailureKind.IsPermanent);
            retry.Exponential(10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200));
        });
}
