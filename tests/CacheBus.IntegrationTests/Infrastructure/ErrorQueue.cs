using System.Text;
using RabbitMQ.Client;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>A consumer's <c>&lt;queue&gt;_error</c> on the real RabbitMQ, read the way an operator reads it: by the fault's reason.</summary>
internal static class ErrorQueue
{
    /// <summary>
    /// Time for a message that can never apply to reach the error queue: it goes there at once, while the cache-outage
    /// retry schedule (ten retries backing off to 30 s) would hold it for about two minutes first.
    /// </summary>
    public static readonly TimeSpan AtOnce = TimeSpan.FromSeconds(10);

    /// <summary>
    /// Waits until <paramref name="queue"/>_error holds a message whose body contains <paramref name="marker"/> (the
    /// test's own message) and whose MT-Fault-Message contains every part of <paramref name="reason"/>.
    /// </summary>
    public static async Task AssertHoldsAsync(string queue, string marker, TimeSpan within, params string[] reason)
    {
        var factory = new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await Eventually.AssertAsync(
            async () => await HoldsAsync(connection, $"{queue}_error", marker, reason),
            $"the message with '{marker}' in {queue}_error, its reason containing {string.Join(" and ", reason.Select(r => $"'{r}'"))}",
            within);
    }

    /// <summary>How many messages <paramref name="queue"/>_error holds; MassTransit creates it with the first message it moves there.</summary>
    public static async Task<uint> DepthAsync(string queue)
    {
        var factory = new ConnectionFactory { Uri = new Uri(Servers.RabbitMq) };
        await using var connection = await factory.CreateConnectionAsync(TestContext.Current.CancellationToken);
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync($"{queue}_error")).MessageCount;
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            return 0; // no error queue yet: it holds nothing
        }
    }

    private static async Task<bool> HoldsAsync(IConnection connection, string queue, string marker, string[] reason)
    {
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            while (await channel.BasicGetAsync(queue, autoAck: true) is { } message)
            {
                var fault = message.BasicProperties.Headers?.TryGetValue("MT-Fault-Message", out var value) == true ? Encoding.UTF8.GetString((byte[])value!) : "";
                if (Encoding.UTF8.GetString(message.Body.Span).Contains(marker, StringComparison.Ordinal)
                    && reason.All(part => fault.Contains(part, StringComparison.Ordinal)))
                {
                    return true;
                }
            }
        }
        catch (RabbitMQ.Client.Exceptions.OperationInterruptedException)
        {
            // no error queue yet
        }

        return false;
    }
}
