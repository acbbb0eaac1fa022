using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Idle published tables on a busy database: without heartbeats the slot keeps all the WAL written since its last
/// change; with them, its confirmed position keeps up.
/// </summary>
public sealed class WalRetentionTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const long NoiseBytes = 8L << 20;
    private TestDatabase _database = null!;

    public async ValueTask InitializeAsync()
    {
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);
        await _database.ExecuteAsync("CREATE TABLE noise (id bigserial PRIMARY KEY, pad text)"); // not published
    }

    public async ValueTask DisposeAsync() => await _database.DisposeAsync();

    [Fact]
    public async Task BusyDatabaseIdleTables_WithHeartbeats_SlotConfirmsPastTheNoise()
    {
        await using var service = await StartAsync("00:00:00.300");

        await MakeNoiseAsync();

        await Eventually.AssertAsync(async () => await UnconfirmedBytesAsync() < 1 << 20, "the slot confirmed within 1 MB of the server");
        output.WriteLine($"with heartbeats: {await UnconfirmedBytesAsync()} bytes unconfirmed after {NoiseBytes} bytes of other WAL");
    }

    [Fact]
    public async Task BusyDatabaseIdleTables_WithoutHeartbeats_SlotHoldsTheNoise()
    {
        await using var service = await StartAsync("00:00:00");

        await MakeNoiseAsync();
        await Task.Delay(TimeSpan.FromSeconds(3), TestContext.Current.CancellationToken);

        var unconfirmed = await UnconfirmedBytesAsync();
        output.WriteLine($"without heartbeats: {unconfirmed} bytes unconfirmed after {NoiseBytes} bytes of other WAL");
        Assert.True(unconfirmed >= NoiseBytes, $"{unconfirmed} bytes unconfirmed");
    }

    private Task<CacheBusService> StartAsync(string heartbeat) => CacheBusService.StartAsync(_database, new Dictionary<string, string?>
    {
        ["CacheBus:Replication:HeartbeatInterval"] = heartbeat,
        ["CacheBus:Horizon:Interval"] = "00:00:00", // its heartbeats would be the ones under test
        ["CacheBus:Replication:StatusInterval"] = "00:00:00.200",
    });

    private async Task MakeNoiseAsync()
    {
        await Eventually.AssertAsync(
            async () => await _database.StreamingPidAsync() is not null,
            "the slot streamed");
        await _database.ExecuteAsync("INSERT INTO noise (pad) SELECT repeat('x', 1000) FROM generate_series(1, $1)", (int)(NoiseBytes / 1000));
    }

    private Task<long> UnconfirmedBytesAsync() => _database.ScalarAsync<long>(
        "SELECT (pg_current_wal_lsn() - confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE slot_name = $1", _database.SlotName);
}
