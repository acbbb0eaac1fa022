using System.Threading.Channels;
using CacheBus.Contracts;
using MassTransit;
using Microsoft.Extensions.Options;
using NpgsqlTypes;

namespace CacheBus.Service.Replication;

/// <summary>
/// Publishes decoded changes in batches with many publishes in flight, and reports a WAL position as safe only when
/// every change up to it has been confirmed by the broker: a transaction's end is confirmed after its last batch and
/// every earlier batch are confirmed, never before.
/// </summary>
internal sealed class BatchPublisher(IBus bus, IOptions<ReplicationOptions> options)
{
    private readonly int _maxBatch = options.Value.MaxBatchSize;
    private readonly int _maxInFlight = options.Value.MaxPublishesInFlight;

    /// <summary>Runs until the reader completes or fails, or a publish fails; <paramref name="confirm"/> gets safe positions in order.</summary>
    public async Task RunAsync(ChannelReader<StreamItem> reader, Action<NpgsqlLogSequenceNumber> confirm, CancellationToken ct)
    {
        // Publishes in the order they were started, each with the transaction end it makes safe (if any).
        var inFlight = new Queue<(Task Publish, NpgsqlLogSequenceNumber? SafeEnd)>();
        var batch = new List<RowChange>(_maxBatch);
        NpgsqlLogSequenceNumber? safeEnd = null;
        Task<bool>? waitToRead = null;
        while (true)
        {
            // Take what is already decoded, up to a full batch: under load batches grow, when idle they leave at once.
            while (batch.Count < _maxBatch && reader.TryRead(out var item))
            {
                if (item.Change is { } change)
                {
                    batch.Add(change);
                }
                else
                {
                    safeEnd = item.CommitEnd;
                }
            }

            if (batch.Count > 0 || safeEnd is not null)
            {
                var publish = batch.Count > 0 ? bus.Publish(new RowsChanged { Changes = batch }, ct) : Task.CompletedTask;
                inFlight.Enqueue((publish, safeEnd));
                batch = new List<RowChange>(_maxBatch);
                safeEnd = null;
            }

            await ConfirmCompletedAsync(inFlight, confirm);
            if (inFlight.Count >= _maxInFlight)
            {
                await inFlight.Peek().Publish;
                continue;
            }

            if (reader.TryPeek(out _))
            {
                continue;
            }

            waitToRead ??= reader.WaitToReadAsync(ct).AsTask();
            var woken = inFlight.Count == 0 ? waitToRead : await Task.WhenAny(waitToRead, inFlight.Peek().Publish);
            if (woken == waitToRead)
            {
                var more = await waitToRead;
                waitToRead = null;
                if (!more)
                {
                    await Task.WhenAll(inFlight.Select(p => p.Publish));
                    await ConfirmCompletedAsync(inFlight, confirm);
                    return;
                }
            }
        }
    }

    private static async Task ConfirmCompletedAsync(
        Queue<(Task Publish, NpgsqlLogSequenceNumber? SafeEnd)> inFlight, Action<NpgsqlLogSequenceNumber> confirm)
    {
        NpgsqlLogSequenceNumber? newest = null;
        while (inFlight.Count > 0 && inFlight.Peek().Publish.IsCompleted)
        {
            var (publish, safeEnd) = inFlight.Dequeue();
            await publish; // a failed publish ends the session here; nothing after it is confirmed
            newest = safeEnd ?? newest;
        }

        if (newest is { } position)
        {
            confirm(position);
        }
    }
}
