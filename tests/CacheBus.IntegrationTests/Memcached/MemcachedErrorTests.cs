using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Refused arguments and server errors are clear exceptions, and the client keeps working after them.</summary>
public sealed class MemcachedErrorTests : IAsyncDisposable
{
    private readonly MemcachedClient _client = TestMemcached.Client();
    private readonly string _prefix = TestMemcached.NewPrefix();

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public ValueTask DisposeAsync() => _client.DisposeAsync();

    [Fact]
    public async Task SetAsync_ValueOverOneMegabyte_ThrowsArgumentExceptionAndClientStaysUsable()
    {
        var value = new byte[(1024 * 1024) + 1];

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => _client.SetAsync(_prefix + "huge", value, 0, TestMemcached.Ttl, cancellationToken: Cancel));

        Assert.Contains("1048577 bytes", error.Message, StringComparison.Ordinal);
        await AssertUsableAsync(_client);
    }

    [Fact]
    public async Task SetAsync_ValueMemcachedFindsTooLarge_ThrowsMemcachedExceptionAndClientStaysUsable()
    {
        // The client would allow 2 MB; this memcached keeps its default 1 MB item limit.
        await using var client = TestMemcached.Client(options => options.MaxValueSize = 2 * 1024 * 1024);
        var value = new byte[1536 * 1024];

        var error = await Assert.ThrowsAsync<MemcachedException>(
            () => client.SetAsync(_prefix + "huge", value, 0, TestMemcached.Ttl, cancellationToken: Cancel));

        Assert.Equal("SERVER_ERROR object too large for cache", error.Message);
        await AssertUsableAsync(client);
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("line\r\nmn")]
    [InlineData("tab\t")]
    public async Task GetAsync_KeyWithSpaceOrControlCharacter_ThrowsArgumentExceptionAndClientStaysUsable(string name)
    {
        var error = await Assert.ThrowsAsync<ArgumentException>(() => _client.GetAsync(_prefix + name, Cancel));

        Assert.Equal("key", error.ParamName);
        await AssertUsableAsync(_client);
    }

    [Fact]
    public async Task SetAsync_KeyOver250Bytes_ThrowsArgumentExceptionAndClientStaysUsable()
    {
        var key = _prefix + new string('k', 251 - _prefix.Length);

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => _client.SetAsync(key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel));

        Assert.Contains("at most 250 bytes", error.Message, StringComparison.Ordinal);
        await AssertUsableAsync(_client);
    }

    [Fact]
    public async Task SetAsync_Key250Bytes_IsAcceptedByMemcached()
    {
        var key = _prefix + new string('k', 250 - _prefix.Length);

        Assert.Equal(MemcachedSetResult.Stored, await _client.SetAsync(key, "v"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel));
        Assert.NotNull(await _client.GetAsync(key, Cancel));
    }

    private async Task AssertUsableAsync(MemcachedClient client)
    {
        var key = _prefix + "after-error";
        Assert.Equal(MemcachedSetResult.Stored, await client.SetAsync(key, "ok"u8.ToArray(), 0, TestMemcached.Ttl, cancellationToken: Cancel));
        Assert.Equal("ok"u8.ToArray(), (await client.GetAsync(key, Cancel))!.Value.ToArray());
    }
}
