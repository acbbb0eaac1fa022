using MassTransit;

namespace CacheBus.Service.Redis;

/// <summary>Endpoint and retry settings of the eviction consumer, kept beside it.</summary>
internal sealed class RedisEvictionConsumerDefinition : ConsumerDefinition<RedisEvictionConsumer>
{
    public RedisEvictionConsumerDefinition()
    {
        EndpointName = "cachebus-redis-eviction";
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<RedisEvictionConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 32;

        endpointConfigurator.UseCacheOutageRetry(context);
    }
}
