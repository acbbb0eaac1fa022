using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using CacheBus.Service.Rules;
using MassTransit;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Warms the fragments a batch of row changes makes stale (those with a TTL policy), so the next visitor finds the
/// fresh fragment instead of a miss. The message is acknowledged after every warm was applied or failed per policy.
/// </summary>
internal sealed class FragmentWarmConsumer(RuleSet rules, FragmentWarmer warmer) : IConsumer<RowsChanged>
{
    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        var targets = new HashSet<Target>();
        rules.Collect(context.Message.Changes, targets);
        var warms = targets.Where(t => t.Kind == TargetKind.Warm).DistinctBy(t => t.RedisKey);
        await Task.WhenAll(warms.Select(t => warmer.WarmAsync(t.Fragment!, t.RedisKey, t.Url!)));
        CacheBusMetrics.MessagesConsumed.WithLabels("fragment-warmer").Inc();
    }
}
