using CacheBus.IntegrationTests.Infrastructure;
using Npgsql;

namespace CacheBus.IntegrationTests;

/// <summary>
/// The replication stream signs in with the same credentials as every other connection, wherever the password comes
/// from: the connection string, a passfile, or PGPASSWORD. The server asks for a password (scram-sha-256); a stream
/// that could not authenticate would leave the service catalog-ready but never streaming.
/// </summary>
public sealed class ReplicationPasswordTests : IAsyncLifetime
{
    private TestDatabase _database = null!;
    private readonly RedisKeys _redis = new();

    public async ValueTask InitializeAsync() =>
        _database = await TestDatabase.CreateAsync(TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _redis.DisposeAsync();
        await _database.DisposeAsync();
    }

    [Fact]
    public async Task PasswordInConnectionString_StreamsAndEvicts()
    {
        await using var service = ServiceProcess.Start(CacheBusService.Settings(_database));
        await AssertStreamsAndEvictsAsync(service);
    }

    [Fact]
    public async Task PasswordOnlyInPassfile_StreamsAndEvicts()
    {
        var service = new NpgsqlConnectionStringBuilder(_database.ServiceConnectionString);
        var passfile = Path.Combine(Path.GetTempPath(), $"cachebus-pgpass-{Guid.NewGuid():N}");
        await File.WriteAllTextAsync(passfile, $"{service.Host}:{service.Port}:*:{service.Username}:{Escape(service.Password!)}\n", TestContext.Current.CancellationToken);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(passfile, UnixFileMode.UserRead | UnixFileMode.UserWrite); // as libpq wants it
        }
        try
        {
            var settings = CacheBusService.Settings(_database);
            settings["ConnectionStrings:Postgres"] = WithoutPassword(service) + $";Passfile={passfile}";
            await using var process = ServiceProcess.Start(settings);
            await AssertStreamsAndEvictsAsync(process);
        }
        finally
        {
            File.Delete(passfile);
        }
    }

    [Fact]
    public async Task PasswordOnlyInEnvironment_StreamsAndEvicts()
    {
        var service = new NpgsqlConnectionStringBuilder(_database.ServiceConnectionString);
        var settings = CacheBusService.Settings(_database);
        settings["ConnectionStrings:Postgres"] = WithoutPassword(service);
        settings["PGPASSWORD"] = service.Password;
        await using var process = ServiceProcess.Start(settings);
        await AssertStreamsAndEvictsAsync(process);
    }

    // Streaming (the slot active for the service's role) and an eviction: a catalog query alone would pass without it.
    private async Task AssertStreamsAndEvictsAsync(ServiceProcess service)
    {
        await service.WaitUntilStreamingAsync(_database);
        var id = UniqueIds.Next();
        await _redis.SetAsync($"product:{id}");
        await _database.ExecuteAsync(ShopTable.Products.Insert, id, 1L);
        await _redis.AssertEvictedAsync($"product:{id}");
    }

    private static string WithoutPassword(NpgsqlConnectionStringBuilder builder) =>
        new NpgsqlConnectionStringBuilder(builder.ConnectionString) { Password = null }.ConnectionString;

    // .pgpass: a backslash or colon in a field is written with a backslash before it.
    private static string Escape(string field) => field.Replace(@"\", @"\\", StringComparison.Ordinal).Replace(":", @"\:", StringComparison.Ordinal);
}
