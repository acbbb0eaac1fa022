using CacheBus.Contracts;
using CacheBus.Service.Metrics;
using CacheBus.Service.Rules;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies what a batch of row changes invalidates in Redis: keys, tags, namespaces, pages and fragments. The
/// message is acknowledged only after Redis answered every command. Everything it does is idempotent (deleting a
/// key twice, emptying a tag twice, or bumping a generation once more only costs a cache miss), so a redelivered
/// batch does no harm.
/// </summary>
internal sealed class RedisEvictionConsumer(RuleSet rules, RedisInvalidator invalidator, SecondEvictions secondEvictions, TimeProvider time)
    : IConsumer<RowsChanged>
{
    private const string Name = "redis";

    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        var targets = new HashSet<Target>();
        rules.Collect(context.Message.Changes, targets);
        targets.RemoveWhere(t => t.Kind == TargetKind.Warm); // the fragment warmer overwrites these; deleting would race it
        if (targets.Count > 0)
        {
            try
            {
                var done = await invalidator.ApplyAsync(targets);
                CacheBusMetrics.Evictions.WithLabels(Name, "key").Inc(done.Keys);
                CacheBusMetrics.Evictions.WithLabels(Name, "tag").Inc(done.Tags);
                CacheBusMetrics.Evictions.WithLabels(Name, "namespace").Inc(done.Namespaces);
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                CacheBusMetrics.Failures.WithLabels(Name, ex.GetType().Name).Inc();
                throw; // MassTransit retries, then moves the message to the error queue with this reason
            }

            secondEvictions.Schedule(targets.Where(t => t.Kind == TargetKind.Key).Select(t => t.RedisKey).Distinct());
        }

        CacheBusMetrics.MessagesConsumed.WithLabels(Name).Inc();
        var now = time.GetUtcNow();
        var latency = CacheBusMetrics.CommitToApplied.WithLabels(Name);
        foreach (var change in context.Message.Changes)
        {
            latency.Observe((now - change.CommitTime).TotalSeconds);
        }
    }
}
