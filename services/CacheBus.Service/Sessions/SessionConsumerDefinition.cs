using MassTransit;

namespace CacheBus.Service.Sessions;

/// <summary>Endpoint and retry settings of the session consumer, kept beside it.</summary>
internal sealed class SessionConsumerDefinition : ConsumerDefinition<SessionConsumer>
{
    public SessionConsumerDefinition()
    {
        EndpointName = "cachebus-memcached-sessions";
        ConcurrentMessageLimit = 4;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<SessionConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 16;

        endpointConfigurator.UseCacheOutageRetry(context);
    }
}
