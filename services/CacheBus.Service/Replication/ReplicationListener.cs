using System.Threading.Channels;
using CacheBus.Service.Metrics;
using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.Options;
using Npgsql;
using Npgsql.Replication;
using Npgsql.Replication.Internal;
using Npgsql.Replication.PgOutput;

namespace CacheBus.Service.Replication;

/// <summary>
/// Streams committed changes from the slot and hands them to the publisher. At start it checks the rules against
/// the catalog and creates the publication; a failure there stops start-up. Each time it connects, the slot is
/// checked against where CacheBus left it, and created on a first start (<see cref="SlotGuard"/>). After a failure while
/// streaming it reconnects with backoff and resumes from the slot's confirmed position, so an unconfirmed change is
/// published again rather than lost.
/// </summary>
internal sealed partial class ReplicationListener(
    NpgsqlDataSource db,
    IOptions<ConnectionStringsOptions> connections,
    RuleSet rules,
    BatchPublisher publisher,
    SlotGuard guard,
    BusStarted bus,
    ReplicationState state,
    IOptions<ReplicationOptions> options,
    IOptions<SessionsOptions> sessions,
    TimeProvider time,
    ILogger<ReplicationListener> logger) : BackgroundService
{
    private const int ChannelCapacity = 2_000;
    private static readonly TimeSpan StandbyPoll = TimeSpan.FromMilliseconds(500);
    private readonly ReplicationOptions _options = options.Value;
    private IReadOnlyDictionary<TableName, TableSchema>? _tables;

    public override async Task StartAsync(CancellationToken cancellationToken)
    {
        var (tables, warnings) = await SchemaCatalog.LoadAsync(db, rules, sessions.Value, _options.ReplicaIdentity, cancellationToken);
        foreach (var warning in warnings)
        {
            LogDegraded(warning);
        }

        _tables = tables;
        await ReplicationSetup.EnsureAsync(db, _options, _tables.Keys, cancellationToken);

        // On a first start the slot exists once start-up is over, so what commits from then on is streamed. A lost
        // slot (readiness says so) or a server away is left to the stream loop, which checks again on every connect.
        try
        {
            await guard.CheckAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is SlotLostException || logger.Survives(ex, "listener", cancellationToken))
        {
            // logged and counted where it was met; ExecuteAsync's first connect meets it again
        }

        await base.StartAsync(cancellationToken);
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var delay = TimeSpan.FromMilliseconds(100);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await StreamAsync(() => delay = TimeSpan.FromMilliseconds(100), stoppingToken);
            }
            catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.ObjectInUse && !stoppingToken.IsCancellationRequested)
            {
                // Another listener holds the slot: stand by, and take over soon after it lets go (or dies).
                state.Streaming = false;
                if (!state.Standby)
                {
                    state.Standby = true;
                    LogStandby(_options.SlotName);
                }

                await Task.Delay(StandbyPoll, time, stoppingToken);
            }
            catch (Exception ex) when (!stoppingToken.IsCancellationRequested)
            {
                // Nothing unconfirmed is lost by reconnecting: the slot replays from the last confirmed position.
                state.Streaming = false;
                CacheBusMetrics.Failures.WithLabels("listener", ex.GetType().Name).Inc();
                LogStreamFailed(ex, delay);
                await Task.Delay(delay, time, stoppingToken);
                delay = TimeSpan.FromTicks(Math.Min(delay.Ticks * 2, _options.MaxReconnectDelay.Ticks));
            }
        }
    }

    private async Task StreamAsync(Action onStreaming, CancellationToken stoppingToken)
    {
        // The configured string, not db.ConnectionString: the data source's copy leaves the password out (as Persist
        // Security Info=false promises), and a server that asks for one would refuse the stream, only the stream.
        await using var connection = new LogicalReplicationConnection(connections.Value.Postgres)
        {
            WalReceiverStatusInterval = _options.StatusInterval,
        };
        await connection.Open(stoppingToken);
        await bus.Ready.WaitAsync(stoppingToken); // opened meanwhile; nothing is read before the bus and its queues are up
        var position = await guard.CheckAsync(stoppingToken);
        using var session = CancellationTokenSource.CreateLinkedTokenSource(stoppingToken);
        var channel = Channel.CreateBounded<StreamItem>(new BoundedChannelOptions(ChannelCapacity)
        {
            SingleReader = true,
            SingleWriter = true,
        });

        var publishing = publisher.RunAsync(channel.Reader, position.Confirm, session.Token);
        var reading = ReadAsync(connection, channel.Writer, onStreaming, session.Token);
        var keeping = position.KeepAsync(connection, time, logger, session.Token);
        var first = await Task.WhenAny(reading, publishing, keeping);
        await session.CancelAsync();
        try
        {
            await first;
        }
        finally
        {
            await Task.WhenAll(reading, publishing, keeping).ContinueWith(static _ => { }, TaskScheduler.Default);
        }
    }

    private async Task ReadAsync(
        LogicalReplicationConnection connection, ChannelWriter<StreamItem> output, Action onStreaming, CancellationToken ct)
    {
        var slot = new PgOutputReplicationSlot(_options.SlotName);
        KeyValuePair<string, string?>[] plugin =
        [
            new("proto_version", "1"),
            new("publication_names", _options.PublicationName),
            new("messages", "true"), // heartbeats and the application's intents
        ];
        var decoder = new ChangeDecoder(_tables!);
        var buffer = new byte[64 * 1024];
        LogStreaming(_options.SlotName, _options.PublicationName);
        onStreaming();
        state.Streaming = true;
        state.Standby = false;
        try
        {
            // The raw messages, read as bytes (ChangeDecoder); Npgsql keeps the connection, keepalives and status.
            await foreach (var message in connection.StartLogicalReplication(slot, ct, options: plugin))
            {
                var length = checked((int)message.Data.Length);
                if (length > buffer.Length)
                {
                    buffer = new byte[Math.Max(length, buffer.Length * 2)];
                }

                await message.Data.ReadExactlyAsync(buffer.AsMemory(0, length), ct);
                await decoder.DecodeAsync(buffer.AsMemory(0, length), output, ct);
            }

            output.Complete();
        }
        catch (Exception ex)
        {
            output.Complete(ex);
            throw;
        }
        finally
        {
            state.Streaming = false;
        }
    }

    [LoggerMessage(LogLevel.Information, "Slot {Slot} is held by another listener; standing by to take over")]
    private partial void LogStandby(string slot);

    [LoggerMessage(LogLevel.Warning, "Replica identity too narrow, running degraded: {Problem}")]
    private partial void LogDegraded(string problem);

    [LoggerMessage(LogLevel.Information, "Streaming changes from slot {Slot} for publication {Publication}")]
    private partial void LogStreaming(string slot, string publication);

    [LoggerMessage(LogLevel.Error, "Replication stream failed; reconnecting in {Delay}")]
    private partial void LogStreamFailed(Exception exception, TimeSpan delay);
}
