using MassTransit;
using Microsoft.Extensions.Options;

namespace CacheBus.Service;

internal static class RetryPolicy
{
    private static readonly TimeSpan First = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan Delta = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// How every consumer meets a failure, by <see cref="FailureKind"/>. A cache or broker away, slow or restarting is
    /// not the message's fault: it is retried, backing off up to <see cref="RetryOptions.MaxInterval"/>, until the
    /// server is back, however long that takes (the message stays unacknowledged meanwhile; nothing else on the queue
    /// could be applied either). A message that can never be applied goes to the queue's _error queue at once, with
    /// the exception as its reason; any other failure after <see cref="RetryOptions.Limit"/> retries.
    /// </summary>
    public static void UseCacheOutageRetry(this IReceiveEndpointConfigurator endpoint, IRegistrationContext context)
    {
        var options = context.GetRequiredService<IOptions<RetryOptions>>().Value;
        // The first filter configured is the outer one: it sees only what the inner one does not take.
        endpoint.UseMessageRetry(retry =>
        {
            retry.Ignore<Exception>(FailureKind.IsPermanent);
            retry.Exponential(options.Limit, First, options.MaxInterval, Delta);
        });
        endpoint.UseMessageRetry(retry =>
        {
            retry.Handle<Exception>(FailureKind.IsTransient);
            retry.Exponential(int.MaxValue, First, options.MaxInterval, Delta);
        });
    }
}
