using MassTransit;

namespace CacheBus.Service.Fragments;

internal sealed class FragmentWarmConsumerDefinition : ConsumerDefinition<FragmentWarmConsumer>
{
    public FragmentWarmConsumerDefinition()
    {
        EndpointName = "cachebus-fragment-warmer";
        ConcurrentMessageLimit = 8;
    }

    protected override void ConfigureConsumer(
        IReceiveEndpointConfigurator endpointConfigurator,
        IConsumerConfigurator<FragmentWarmConsumer> consumerConfigurator,
        IRegistrationContext context)
    {
        endpointConfigurator.PrefetchCount = 16;

        endpointConfigurator.UseCacheOutageRetry(context);
    }
}
