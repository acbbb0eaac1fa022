using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using MassTransit;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies what the application asked for: the keys are final Redis keys, already made by the app's cache. A
/// malformed intent is refused, so it lands in the error queue at once with the reason (<see cref="IntentCheck"/>).
/// </summary>
internal sealed class InvalidationRequestedConsumer(RedisInvalidator invalidator) : IConsumer<InvalidationRequested>
{
    public async Task Consume(ConsumeContext<InvalidationRequested> context)
    {
        var intent = context.Message;
        IntentCheck.ThrowIfUnusable(intent);

        var done = await invalidator.ApplyAsync([.. intent.Keys.Distinct()], [.. intent.Tags.Distinct()], [.. intent.Namespaces.Distinct()]);
        CacheBusMetrics.Evictions.WithLabels("redis", "key").Inc(done.Keys);
        CacheBusMetrics.MessagesConsumed.WithLabels("redis-intents").Inc();
    }
}

/// <summary>Intents get a queue of their own, so a slow or failing one never holds up row changes.</summary>
internal sealed class InvalidationRequestedConsumerDefinition : ConsumerDefinition<InvalidationRequestedConsumer>
{
    public InvalidationRequestedConsumerDefinition() => EndpointName = "cachebus-redis-intents";

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<InvalidationRequestedConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.UseCacheOutageRetry(context);
    }
}
