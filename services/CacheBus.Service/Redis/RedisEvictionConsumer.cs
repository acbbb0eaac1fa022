using CacheBus.Contracts;
using CacheBus.Service.Rules;
using MassTransit;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies what a batch of row changes invalidates in Redis: keys, tags, namespaces, pages and fragments. The
/// message is acknowledged only after Redis answered every command. Everything it does is idempotent (deleting a
/// key twice, emptying a tag twice, or bumping a generation once more only costs a cache miss), so a redelivered
/// batch does no harm.
/// </summary>
internal sealed class RedisEvictionConsumer(RuleSet rules, RedisInvalidator invalidator, SecondEvictions secondEvictions)
    : IConsumer<RowsChanged>
{
    public async Task Consume(ConsumeContext<RowsChanged> context)
    {
        var targets = new HashSet<Target>();
        rules.Collect(context.Message.Changes, targets);
        if (targets.Count == 0)
        {
            return;
        }

        await invalidator.ApplyAsync(targets);
        secondEvictions.Schedule(targets.Where(t => t.Kind == TargetKind.Key).Select(t => t.RedisKey).Distinct());
    }
}
