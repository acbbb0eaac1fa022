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

        // Origin failures are handled per policy inside the warmer; what reaches here is Redis being away.
        endpointConfigurator.UseMessageRetry(retry => retry.Exponential(
            10, TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(30), TimeSpan.FromMilliseconds(200)));
    }
}
