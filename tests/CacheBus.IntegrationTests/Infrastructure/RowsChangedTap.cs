using System.Text.Json;
using System.Threading.Channels;
using CacheBus.Contracts;
using MassTransit.Serialization;
using RabbitMQ.Client;
using RabbitMQ.Client.Events;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A queue of the test's own, bound to the RowsChanged exchange: it sees exactly what CacheBus published, as a
/// non-.NET consumer would (the MassTransit JSON envelope from the wire).
/// </summary>
internal sealed class RowsChangedTap : IAsyncDisposable
{
    private readonly IConnection _connection;
    private readonly IChannel _channel;
    private readonly Channel<RowChange> _changes = Channel.CreateUnbounded<RowChange>();

    private RowsChangedTap(IConnection connection, IChannel channel)
    {
        _connection = connection;
        _channel = channel;
    }

    public static async Task<RowsChangedTap> StartAsync()
    {
        var ct = TestContext.Current.CancellationToken;
        var connection = await new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) }.CreateConnectionAsync(ct);
        var channel = await connection.CreateChannelAsync(cancellationToken: ct);
        var queue = await channel.QueueDeclareAsync("", durable: false, exclusive: true, autoDelete: true, cancellationToken: ct);
        await channel.QueueBindAsync(queue.QueueName, "cachebus.rows-changed", "", cancellationToken: ct);
        var tap = new RowsChangedTap(connection, channel);
        var consumer = new AsyncEventingBasicConsumer(channel);
        consumer.ReceivedAsync += (_, delivery) => tap.ReceiveAsync(delivery.Body);
        await channel.BasicConsumeAsync(queue.QueueName, autoAck: true, consumer, ct);
        return tap;
    }

    /// <summary>The next published change to <paramref name="table"/> whose key is <paramref name="id"/>.</summary>
    public async Task<RowChange> NextAsync(string table, long id)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(Eventually.DefaultTimeout);
        await foreach (var change in _changes.Reader.ReadAllAsync(timeout.Token))
        {
            if (change.Table == table && change.Key.Values.FirstOrDefault() == id.ToString(System.Globalization.CultureInfo.InvariantCulture))
            {
                return change;
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
        using var envelope = JsonDocument.Parse(body);
        var message = envelope.RootElement.GetProperty("message").Deserialize<RowsChanged>(SystemTextJsonMessageSerializer.Options)!;
        foreach (var change in message.Changes)
        {
            await _changes.Writer.WriteAsync(change);
        }
    }
}
