using CacheBus.IntegrationTests.Infrastructure;
using Npgsql;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests;

/// <summary>
/// Intents the application writes into the WAL with <c>pg_logical_emit_message(true, 'cachebus', json)</c> inside its
/// own transaction: applied if and only if that transaction commits.
/// </summary>
public sealed class IntentTests(ServiceFixture fixture) : IClassFixture<ServiceFixture>, IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);

    public async ValueTask DisposeAsync() => await _redis.DisposeAsync();

    [Fact]
    public async Task CommittedIntent_DeletesKeysEmptiesTagsAndBumpsNamespaces()
    {
        var id = UniqueIds.Next();
        var (key, tag, member, ns) = ($"stats:{id}", $"tag:agg:{id}", $"page:{id}", $"ns:agg:{id}");
        await fixture.Redis.SetAsync(key, member);
        await _redis.GetDatabase().SetAddAsync(tag, member);

        await EmitAsync($$"""{"keys": ["{{key}}"], "tags": ["{{tag}}"], "namespaces": ["{{ns}}"]}""", commit: true);

        await fixture.Redis.AssertEvictedAsync(key, member, tag);
        await Eventually.AssertAsync(async () => (long)await _redis.GetDatabase().StringGetAsync(ns) == 1, "the namespace bumped");
    }

    [Fact]
    public async Task RolledBackIntent_DeletesNothing()
    {
        var (kept, sentinel) = ($"stats:{UniqueIds.Next()}", $"stats:{UniqueIds.Next()}");
        await fixture.Redis.SetAsync(kept, sentinel);

        await EmitAsync($$"""{"keys": ["{{kept}}"]}""", commit: false);
        await EmitAsync($$"""{"keys": ["{{sentinel}}"]}""", commit: true);

        await fixture.Redis.AssertEvictedAsync(sentinel);
        await Task.Delay(500, TestContext.Current.CancellationToken);
        Assert.True(await fixture.Redis.ExistsAsync(kept));
    }

    [Fact]
    public async Task MalformedIntent_GoesToTheErrorQueueWithItsReason_AndTheNextOneIsApplied()
    {
        var marker = $"broken-{Guid.NewGuid():N}";
        var next = $"stats:{UniqueIds.Next()}";
        await fixture.Redis.SetAsync(next);

        await EmitAsync($$"""{"keys": "{{marker}}" """, commit: true);
        await EmitAsync($$"""{"keys": ["{{next}}"]}""", commit: true);

        await fixture.Redis.AssertEvictedAsync(next);
        await ErrorQueue.AssertHoldsAsync("cachebus-redis-intents", marker, Eventually.DefaultTimeout, marker, "Malformed invalidation intent");
    }

    [Theory]
    [InlineData("keys")]
    [InlineData("tags")]
    [InlineData("namespaces")]
    public async Task IntentWithANullList_GoesToTheErrorQueueAtOnceNamingIt_AndTheNextOneIsApplied(string list)
    {
        var marker = $"null-{Guid.NewGuid():N}";
        var next = $"stats:{UniqueIds.Next()}";
        await fixture.Redis.SetAsync(next);

        var other = list == "keys" ? "tags" : "keys";
        await EmitAsync($$"""{"{{list}}": null, "{{other}}": ["{{marker}}"]}""", commit: true);
        await EmitAsync($$"""{"keys": ["{{next}}"]}""", commit: true);

        await fixture.Redis.AssertEvictedAsync(next);
        await ErrorQueue.AssertHoldsAsync("cachebus-redis-intents", marker, ErrorQueue.AtOnce, $"\"{list}\" is null");
    }

    private async Task EmitAsync(string json, bool commit)
    {
        await using var connection = await fixture.Database.DataSource.OpenConnectionAsync(TestContext.Current.CancellationToken);
        await using var transaction = await connection.BeginTransactionAsync(TestContext.Current.CancellationToken);
        await using (var emit = new NpgsqlCommand("SELECT pg_logical_emit_message(true, 'cachebus', $1)", connection, transaction))
        {
            emit.Parameters.Add(new NpgsqlParameter { Value = json });
            await emit.ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        await (commit ? transaction.CommitAsync(TestContext.Current.CancellationToken) : transaction.RollbackAsync(TestContext.Current.CancellationToken));
    }
}
