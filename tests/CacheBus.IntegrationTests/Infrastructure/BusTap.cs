using System.Text.Json;
using System.Threading.Channels;
using CacheBus.Contracts;
using MassTransit.Serialization;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A queue of the test's own, bound to the exchanges of some of CacheBus's messages: it sees exactly what CacheBus
/// published, as a non-.NET subscriber would (the MassTransit JSON envelope from the wire).
/// </summary>
internal sealed class BusTap : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly Channel<JsonElement> _messages = Channel.CreateUnbounded<JsonElement>();
    private readonly List<string> _bodies = [];

    private BusTap(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    /// <summary>Every body received so far, as text.</summary>
    public IReadOnlyList<string> Bodies
    {
        get
        {
            lock (_bodies)
            {
                return [.. _bodies];
            }
        }
    }

    /// <summary>Taps the exchanges, for example <c>cachebus.rows-changed</c>; each is declared as MassTransit declares it, so it may not exist yet.</summary>
    public static async Task<BusTap> StartAsync(params string[] exchanges)
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = await new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) }.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        foreach (var exchange in exchanges)
        {
            await channel.ExchangeDeclareAsync(exchange, ExchangeType.Fanout, durable: true, autoDelete: false, cancellationToken: ct);
            await channel.QueueBindAsync(queue.QueueName, exchange, "", cancellationToken: ct);
        }

        var tap = new BusTap(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => tap.ReceiveAsync(delivery.Body);
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, ct);
        return tap;
    }

    /// <summary>The next published row change to <paramref name="table"/> whose key is <paramref name="id"/> (a RowsChanged tap).</summary>
    public async Task<RowChange> NextRowAsync(string table, long id)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Eventually.DefaultTimeout);
        await foreach (var message in _messages.Reader.ReadAllAsync(timeout.Token))
        {
            foreach (var change in message.Deserialize<RowsChanged>(SystemTextJsonMessageSerializer.Options)!.Changes)
            {
                if (change.Table == table && change.Key.Values.FirstOrDefault() == id.ToString(System.Globalization.CultureInfo.InvariantCulture))
                {
                    return change;
                }
            }
        }

        throw new InvalidOperationException("unreachable: the channel is never completed");
    }

    public async ValueTask DisposeAsync()
    {
        await _channel.DisposeAsync();
        await _connection.DisposeAsync();
    }

    private async Task ReceiveAsync(ReadOnlyMemory<byte> body)
    {
        lock (_bodies)
        {
            _bodies.Add(System.Text.Encoding.UTF8.GetString(body.Span));
        }

        using var envelope = JsonDocument.Parse(body);
        await _messages.Writer.WriteAsync(envelope.RootElement.GetProperty("message").Clone());
    }
}
