using CacheBus.IntegrationTests.Infrastructure;
using NpgsqlTypes;

namespace CacheBus.IntegrationTests;

/// <summary>
/// A transaction far larger than one message travels in bounded pieces, and its end is confirmed to PostgreSQL only
/// after the broker confirmed its last piece: a crash in the middle replays the whole transaction.
/// </summary>
public sealed class LargeTransactionTests : IAsyncLifetime
{
    private const int Rows = 60_000;
    private readonly RedisKeys _redis = new();
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task KilledWhileItsPiecesArePublished_NothingOfItIsConfirmed_AndTheRestartEvictsEveryKey()
    {
        var ids = UniqueIds.Block(Rows);
        await _database.ExecuteAsync("INSERT INTO products (id, category_id, name, price) SELECT id, 1, 'Lamp', 5 FROM unnest($1::bigint[]) AS id", ids);
        var keys = ids.Select(id => $"product:{id}").ToArray();
        var settings = CacheBusService.Settings(_database);
        settings["CacheBus:Replication:MaxBatchSize"] = "100"; // 600 pieces or more
        var first = ServiceProcess.Start(settings);
        await first.WaitUntilStreamingAsync(_database);
        await Eventually.AssertAsync(async () => await ConfirmedAsync() >= await CurrentLsnAsync(), "the inserts confirmed", TimeSpan.FromSeconds(60));
        await _redis.SetAsync(keys);

        await _database.ExecuteAsync("UPDATE products SET price = price + 1 WHERE id = ANY ($1)", ids); // one transaction
        var end = await CurrentLsnAsync();
        await Eventually.AssertAsync(async () => await _redis.CountExistingAsync(keys) < Rows, "the first piece applied", TimeSpan.FromSeconds(60));
        first.Pause();
        var confirmedMidway = await ConfirmedAsync();
        var leftMidway = await _redis.CountExistingAsync(keys);
        await first.KillAsync();
        await first.DisposeAsync();

        await using var second = ServiceProcess.Start(settings);
        await _redis.AssertEvictedAsync(keys);
        await Eventually.AssertAsync(async () => await ConfirmedAsync() >= end, "the transaction confirmed after the restart", TimeSpan.FromSeconds(60));

        Assert.True(leftMidway > 0, "the process was stopped before every piece was applied");
        Assert.True(confirmedMidway < end, $"confirmed {confirmedMidway} while pieces of the transaction ending at {end} were still to come");
    }

    private Task<NpgsqlLogSequenceNumber> CurrentLsnAsync() => _database.ScalarAsync<NpgsqlLogSequenceNumber>("SELECT pg_current_wal_lsn()");

    private Task<NpgsqlLogSequenceNumber> ConfirmedAsync() => _database.ScalarAsync<NpgsqlLogSequenceNumber>(
        "SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName);
}
