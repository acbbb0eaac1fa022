using System.Threading.Channels;
using CacheBus.Contracts;
using CacheBus.Service.Horizon;
using CacheBus.Service.Metrics;
using MassTransit;
using Microsoft.Extensions.Options;
using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;
using NpgsqlTypes;

namespace CacheBus.Service.Replication;

/// <summary>
/// Turns decoded changes into invalidation messages (<see cref="OutgoingBatch"/>) and publishes them with many
/// publishes in flight, and reports a WAL position as safe only when every message up to it has been confirmed by the
/// broker: a transaction's end is confirmed after its last message and every earlier one are confirmed, never before.
/// Rules are applied here, on the publishing side of the channel, so the decoding loop (the stream's serial ceiling)
/// does nothing but decode. With the horizon on, each confirmed transaction end may be followed by a tick
/// (<see cref="HorizonAdvanced"/>): published only once everything before it is confirmed, so it queues behind them.
/// </summary>
internal sealed partial class BatchPublisher(
    IBus bus,
    RuleSet rules,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    IOptions<HorizonOptions> horizon,
    TimeProvider time,
    ILogger<BatchPublisher> logger,
    SessionPolicy? sessions = null,
    CommitVisibility? visibility = null)
{
    private readonly TimeSpan _linger = options.Value.BatchLinger;
    private readonly int _maxBatch = options.Value.MaxBatchSize;
    private readonly int _maxBytes = options.Value.MaxMessageBytes;
    private readonly int _maxInFlight = options.Value.MaxPublishesInFlight;
    private readonly TimeSpan _publishTimeout = options.Value.PublishTimeout;
    private readonly TimeSpan _tickEvery = horizon.Value.Interval / 2; // zero: no ticks
    private long? _lastTick;

    /// <summary>Runs until the reader completes or fails, or a publish fails; <paramref name="confirm"/> gets safe positions in order.</summary>
    public async Task RunAsync(ChannelReader<StreamItem> reader, Action<NpgsqlLogSequenceNumber> confirm, CancellationToken ct)
    {
        var inFlight = new Queue<InFlight>(); // in the order they were started
        var batch = new OutgoingBatch(rules, sessions, _maxBatch, _maxBytes, RowTooLarge);
        SafePoint? safe = null;
        Task<bool>? waitToRead = null;
        Task? lingering = null;
        long? lastCut = null; // when the last message that ended with a transaction left
        var xids = new HashSet<uint>(); // transactions with changes or intents in what leaves next
        while (true)
        {
            // Take what is already decoded, up to a full batch: under load batches grow, when idle they leave at once.
            // An application's intent ends the batch, so it is published after the changes committed before it.
            InvalidationRequested? intent = null;
            while (!batch.IsFull && intent is null && reader.TryRead(out var item))
            {
                if (item.Change is { } change)
                {
                    batch.Add(change);
                    xids.Add(item.Xid);
                }
                else if (item.Intent is { } requested)
                {
                    intent = requested;
                    xids.Add(item.Xid);
                }
                else
                {
                    batch.EndTransaction();
                    safe = new SafePoint(item.CommitEnd, item.CommitTime);
                }
            }

            // A message ends where a transaction does, unless the transaction outgrows it (or an intent comes first):
            // a transaction whose end is not decoded yet waits for it, so its keys leave together. With a BatchLinger,
            // under a stream of small transactions a message leaves at most that often, carrying every transaction
            // committed meanwhile (fewer messages: less CPU for the service and the broker); a change after a quiet
            // moment still leaves at once.
            lingering = lingering is { IsCompleted: true } ? null : lingering;
            var mayCut = !batch.InTransaction || batch.IsFull || intent is not null;
            var sinceCut = lastCut is { } cut ? time.GetElapsedTime(cut) : TimeSpan.MaxValue;
            var hold = !batch.IsFull && intent is null && !batch.IsEmpty && sinceCut < _linger;
            if (mayCut && hold)
            {
                lingering ??= Task.Delay(_linger - sinceCut, time, ct);
            }
            else if (mayCut)
            {
                if (visibility is not null && xids.Count > 0)
                {
                    await visibility.WaitAsync(xids, ct); // an eviction before readers see the commit would be undone
                }

                xids.Clear();
                lastCut = batch.IsEmpty ? lastCut : time.GetTimestamp();
                lingering = null;
                var firstCommit = batch.OldestCommit;
                foreach (var message in batch.Take())
                {
                    inFlight.Enqueue(new InFlight(PublishAsync(message, ct), null, firstCommit, message.GetType().Name));
                }

                if (safe is not null)
                {
                    inFlight.Enqueue(new InFlight(Task.CompletedTask, safe, null, null)); // confirmed once all before it are
                    safe = null;
                }
            }

            if (intent is not null)
            {
                inFlight.Enqueue(new InFlight(PublishAsync(intent, ct), null, null, nameof(InvalidationRequested)));
            }

            await ConfirmCompletedAsync(inFlight, confirm, ct);
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
            var woken = (inFlight.Count, lingering) switch
            {
                (0, null) => waitToRead,
                (0, { } wait) => await Task.WhenAny(waitToRead, wait),
                (_, null) => await Task.WhenAny(waitToRead, inFlight.Peek().Publish),
                (_, { } wait) => await Task.WhenAny(waitToRead, inFlight.Peek().Publish, wait),
            };
            if (woken == waitToRead)
            {
                var more = await waitToRead;
                waitToRead = null;
                if (!more)
                {
                    await Task.WhenAll(inFlight.Select(p => p.Publish));
                    await ConfirmCompletedAsync(inFlight, confirm, ct);
                    return;
                }
            }
        }
    }

    // A publish the broker never confirms fails the session (a TimeoutException) instead of stalling it forever.
    private Task PublishAsync(object message, CancellationToken ct) => bus.Publish(message, ct).WaitAsync(_publishTimeout, ct);

    private async Task ConfirmCompletedAsync(Queue<InFlight> inFlight, Action<NpgsqlLogSequenceNumber> confirm, CancellationToken ct)
    {
        SafePoint? newest = null;
        while (inFlight.Count > 0 && inFlight.Peek().Publish.IsCompleted)
        {
            var done = inFlight.Dequeue();
            await done.Publish; // a failed publish ends the session here; nothing after it is confirmed
            if (done.Message is { } message)
            {
                CacheBusMetrics.MessagesPublished.WithLabels(message).Inc();
            }

            newest = done.Safe ?? newest;
        }

        if (newest is { } point)
        {
            confirm(point.End);
            if (_tickEvery > TimeSpan.Zero && (_lastTick is not { } last || time.GetElapsedTime(last) >= _tickEvery))
            {
                _lastTick = time.GetTimestamp();
                var tick = new HorizonAdvanced { CommitTime = point.Time, CommitLsn = point.End.ToString() };
                inFlight.Enqueue(new InFlight(PublishAsync(tick, ct), null, null, nameof(HorizonAdvanced)));
            }
        }

        state.OldestUnconfirmedCommit = inFlight.FirstOrDefault(p => p.FirstCommit is not null).FirstCommit;
    }

    private void RowTooLarge(RowChange change, int bytes)
    {
        CacheBusMetrics.RowValuesOmitted.WithLabels($"{change.Schema}.{change.Table}").Inc();
        LogRowTooLarge($"{change.Schema}.{change.Table}", string.Join(", ", change.Key.Select(c => $"{c.Key}={c.Value}")), change.CommitLsn, bytes, _maxBytes);
    }

    [LoggerMessage(LogLevel.Error, "Row {Table} ({Key}) committed at {CommitLsn} is about {Bytes} bytes, more than CacheBus:Replication:MaxMessageBytes ({MaxBytes}): RowsChanged carries it without its values (valuesOmitted); its keys are invalidated as always")]
    private partial void LogRowTooLarge(string table, string key, string commitLsn, int bytes, int maxBytes);

    private readonly record struct InFlight(Task Publish, SafePoint? Safe, DateTimeOffset? FirstCommit, string? Message);

    // A transaction's end and commit time: safe to confirm (and to tick) once everything before it is confirmed.
    private readonly record struct SafePoint(NpgsqlLogSequenceNumber End, DateTimeOffset Time);
}
