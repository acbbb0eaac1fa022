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

        // A memcached or Redis outage is waited out: retries back off up to half a minute before the message is set aside.
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(
            10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)));
    }
}
