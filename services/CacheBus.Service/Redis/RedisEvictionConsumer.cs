using CacheBus.Contracts;
using CacheBus.Service.Horizon;
using CacheBus.Service.Metrics;
using MassTransit;
using StackExchange.Redis;

namespace CacheBus.Service.Redis;

/// <summary>
/// Applies what committed changes invalidate in Redis: the listener already applied the rules, so the message holds
/// final keys, tags and namespaces. It is acknowledged only after Redis answered every command. Everything it does is
/// idempotent (deleting a key twice, emptying a tag twice, or bumping a generation once more only costs a cache
/// miss), so a redelivered message does no harm. The listener's ticks come on the same queue, behind the messages
/// they vouch for, so the horizon is proven here (<see cref="HorizonTracker"/>).
/// </summary>
internal sealed class RedisEvictionConsumer(RedisInvalidator invalidator, SecondEvictions secondEvictions, HorizonTracker horizon, TimeProvider time)
    : IConsumer<KeysInvalidated>, IConsumer<HorizonAdvanced>
{
    private const string Name = "redis";

    public async Task Consume(ConsumeContext<KeysInvalidated> context)
    {
        var message = context.Message;
        try
        {
            var done = await invalidator.ApplyAsync(message.Keys, message.Tags, message.Namespaces);
            CacheBusMetrics.Evictions.WithLabels(Name, "key").Inc(done.Keys);
            CacheBusMetrics.Evictions.WithLabels(Name, "tag").Inc(done.Tags);
            CacheBusMetrics.Evictions.WithLabels(Name, "namespace").Inc(done.Namespaces);
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            CacheBusMetrics.Failures.WithLabels(Name, ex.GetType().Name).Inc();
            throw; // retried for as long as Redis is away (RetryPolicy); the message stays unacknowledged meanwhile
        }

        await secondEvictions.ScheduleAsync(message.Keys, message.NewestCommitTime, context.CancellationToken);
        CacheBusMetrics.MessagesConsumed.WithLabels(Name).Inc();
        CacheBusMetrics.CommitToApplied.WithLabels(Name).Observe((time.GetUtcNow() - message.CommitTime).TotalSeconds, Math.Max(message.Changes, 1));
    }

    public Task Consume(ConsumeContext<HorizonAdvanced> context)
    {
        horizon.Claim(context, context.Message.CommitTime);
        return Task.CompletedTask;
    }
}
