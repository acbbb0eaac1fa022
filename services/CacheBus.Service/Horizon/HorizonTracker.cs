using System.Threading.Channels;
using MassTransit;

namespace CacheBus.Service.Horizon;

/// <summary>
/// Knows when every message delivered before a tick has been applied. RabbitMQ numbers a consumer's deliveries
/// 1, 2, 3... in queue order (the delivery tag, per consumer tag); each is done when its receive pipe ends, retries
/// included, in whatever order the concurrent consumers finish. A tick (<c>HorizonAdvanced</c>) delivered as number
/// D claims its commit time; the claim holds once 1..D are all done, and the horizon moves to it. A gap (a delivery
/// this observer never saw) holds the horizon where it is: reads then bypass the cache, they never turn stale.
/// </summary>
internal sealed class HorizonTracker : IReceiveObserver
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, Deliveries> _consumers = new(StringComparer.Ordinal);
    private readonly Channel<DateTimeOffset> _advanced = Channel.CreateBounded<DateTimeOffset>(
        new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });
    private DateTimeOffset _horizon = DateTimeOffset.MinValue;

    /// <summary>Each newer horizon, the newest when the reader is behind (HorizonWriter writes it to Redis).</summary>
    public ChannelReader<DateTimeOffset> Advanced => _advanced.Reader;

    /// <summary>The tick being consumed says: everything committed up to <paramref name="commitTime"/> was delivered before it.</summary>
    public void Claim(ConsumeContext context, DateTimeOffset commitTime)
    {
        if (context.ReceiveContext is RabbitMqBasicConsumeContext delivery) // another transport numbers nothing: no horizon
        {
            Claim(delivery.ConsumerTag, delivery.DeliveryTag, commitTime);
        }
    }

    public void Claim(string consumerTag, ulong deliveryTag, DateTimeOffset commitTime)
    {
        lock (_lock)
        {
            Of(consumerTag).Claims.Add((deliveryTag, commitTime));
        }
    }

    /// <summary>Delivery <paramref name="deliveryTag"/> of <paramref name="consumerTag"/> is applied (or given up on).</summary>
    public void Finish(string consumerTag, ulong deliveryTag)
    {
        lock (_lock)
        {
            var deliveries = Of(consumerTag);
            deliveries.Finish(deliveryTag);
            foreach (var claimed in deliveries.TakeHeldClaims())
            {
                if (claimed > _horizon)
                {
                    _horizon = claimed;
                    _advanced.Writer.TryWrite(claimed);
                }
            }
        }
    }

    public Task PostReceive(ReceiveContext context) => Done(context);

    public Task ReceiveFault(ReceiveContext context, Exception exception) => Done(context);

    public Task PreReceive(ReceiveContext context) => Task.CompletedTask;

    public Task PostConsume<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType)
        where T : class => Task.CompletedTask;

    public Task ConsumeFault<T>(ConsumeContext<T> context, TimeSpan duration, string consumerType, Exception exception)
        where T : class => Task.CompletedTask;

    private Task Done(ReceiveContext context)
    {
        if (context is RabbitMqBasicConsumeContext delivery)
        {
            Finish(delivery.ConsumerTag, delivery.DeliveryTag);
        }

        return Task.CompletedTask;
    }

    private Deliveries Of(string consumerTag)
    {
        // A new consumer tag after a reconnect counts from 1 again; the old one's unacknowledged deliveries come again
        // under it. One entry per reconnect stays behind: a few bytes each.
        if (!_consumers.TryGetValue(consumerTag, out var deliveries))
        {
            _consumers[consumerTag] = deliveries = new Deliveries();
        }

        return deliveries;
    }

    private sealed class Deliveries
    {
        private readonly SortedSet<ulong> _ahead = [];
        private ulong _doneThrough; // 1.._doneThrough are all done

        public List<(ulong Tag, DateTimeOffset Time)> Claims { get; } = [];

        public void Finish(ulong tag)
        {
            if (tag != _doneThrough + 1)
            {
                _ahead.Add(tag);
                return;
            }

            _doneThrough = tag;
            while (_ahead.Remove(_doneThrough + 1))
            {
                _doneThrough++;
            }
        }

        public List<DateTimeOffset> TakeHeldClaims()
        {
            if (Claims.Count == 0)
            {
                return []; // every delivery passes here; ticks are a few a second
            }

            var held = Claims.Where(c => c.Tag <= _doneThrough).Select(c => c.Time).ToList();
            Claims.RemoveAll(c => c.Tag <= _doneThrough);
            return held;
        }
    }
}
