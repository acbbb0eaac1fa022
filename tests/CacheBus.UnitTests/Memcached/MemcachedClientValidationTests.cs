using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

/// <summary>
/// Arguments are refused before anything is sent: the client points at a port nothing listens on, so an attempt to
/// send would surface as a connection failure instead of an <see cref="ArgumentException"/>.
/// </summary>
public sealed class MemcachedClientValidationTests
{
    private static MemcachedClient Unreachable() =>
        new(new MemcachedClientOptions { Servers = ["127.0.0.1:1"] }, TimeProvider.System);

    [Fact]
    public void Constructor_InvalidOptions_ThrowsWithEveryMistake()
    {
        var error = Assert.Throws<ArgumentException>(() => new MemcachedClient(new MemcachedClientOptions { Servers = ["nohost"] }, TimeProvider.System));

        Assert.Contains("CacheBus:Memcached:Servers:0", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetAsync_ValueOverMaxValueSize_ThrowsBeforeSending()
    {
        await using var client = Unreachable();
        var value = new byte[MemcachedClientOptions.DefaultMaxValueSize + 1];

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => client.SetAsync("k", value, 0, TimeSpan.FromMinutes(1), cancellationToken: TestContext.Current.CancellationToken));

        Assert.Equal("value", error.ParamName);
        Assert.Contains("MaxValueSize", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetAsync_InvalidKey_ThrowsBeforeSending()
    {
        await using var client = Unreachable();

        var error = await Assert.ThrowsAsync<ArgumentException>(() => client.GetAsync("has space", TestContext.Current.CancellationToken));

        Assert.Equal("key", error.ParamName);
    }

    [Fact]
    public async Task DeleteManyAsync_OneInvalidKey_SendsNothing()
    {
        await using var client = Unreachable();

        var error = await Assert.ThrowsAsync<ArgumentException>(
            () => client.DeleteManyAsync(["fine", new string('k', 251)], TestContext.Current.CancellationToken));

        Assert.Equal("keys", error.ParamName);
    }

    [Fact]
    public async Task GetAsync_NothingListening_ThrowsMemcachedException()
    {
        await using var client = Unreachable();

        await Assert.ThrowsAsync<MemcachedException>(() => client.GetAsync("k", TestContext.Current.CancellationToken));
    }
}
