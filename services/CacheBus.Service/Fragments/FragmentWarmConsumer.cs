using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using MassTransit;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Warms the fragments committed changes made stale (those with a TTL policy), so the next visitor finds the fresh
/// fragment instead of a miss. The message is acknowledged after every warm was applied or failed per policy.
/// </summary>
internal sealed class FragmentWarmConsumer(FragmentWarmer warmer, TimeProvider time) : IConsumer<FragmentsToWarm>
{
    public async Task Consume(ConsumeContext<FragmentsToWarm> context)
    {
        var message = context.Message;
        var (known, unknown) = (message.Fragments.Where(f => warmer.HasPolicy(f.Name)), message.Fragments.Where(f => !warmer.HasPolicy(f.Name)));
        await Task.WhenAll(known.DistinctBy(f => f.Key).Select(f => warmer.WarmAsync(f.Name, f.Key, f.Url)));

        // Never retried (InvalidDataException): only a consumer configured like the listener can apply these.
        if (unknown.Select(f => f.Name).Distinct().ToList() is { Count: > 0 } names)
        {
            throw new InvalidDataException(
                $"No {FragmentsOptions.Section}:Policies entry for fragment {string.Join(", ", names)}: this consumer's fragment policies differ from the listener's");
        }

        CacheBusMetrics.MessagesConsumed.WithLabels("fragment-warmer").Inc();
        CacheBusMetrics.CommitToApplied.WithLabels("fragment-warmer").Observe((time.GetUtcNow() - message.CommitTime).TotalSeconds, Math.Max(message.Changes, 1));
    }
}
