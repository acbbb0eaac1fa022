using CacheBus.IntegrationTests.Memcached;
using CacheBus.Service.Memcached;
using CacheBus.Service.Sessions;

namespace CacheBus.IntegrationTests.Sessions;

/// <summary>A duplicate or out-of-order change never replaces a newer snapshot with an older one (real memcached).</summary>
public sealed class ProfileSnapshotsTests : IAsyncDisposable
{
    private static readonly TimeSpan Ttl = TimeSpan.FromMinutes(5);
    private readonly MemcachedClient _memcached = TestMemcached.Client();
    private readonly string _key = TestMemcached.NewPrefix() + "snapshot";

    private ProfileSnapshots Snapshots => new(_memcached);

    public ValueTask DisposeAsync() => _memcached.DisposeAsync();

    [Fact]
    public async Task WriteAsync_OlderChangeAfterANewerOne_KeepsTheNewer()
    {
        Assert.True(await Snapshots.WriteAsync(_key, Name("Grace"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));

        Assert.False(await Snapshots.WriteAsync(_key, Name("Ada"), "0/100", 0, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal("Grace", (await ReadAsync())["display_name"]);
    }

    [Fact]
    public async Task WriteAsync_SameChangeTwice_WritesOnce()
    {
        Assert.True(await Snapshots.WriteAsync(_key, Name("Grace"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));

        Assert.False(await Snapshots.WriteAsync(_key, Name("Grace"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task WriteAsync_LaterChangeOfTheSameTransaction_Replaces()
    {
        Assert.True(await Snapshots.WriteAsync(_key, Name("First"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));

        Assert.True(await Snapshots.WriteAsync(_key, Name("Second"), "0/200", 1, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal("Second", (await ReadAsync())["display_name"]);
    }

    [Fact]
    public async Task WriteAsync_EarlierChangeOfTheSameTransactionRedelivered_KeepsTheLater()
    {
        Assert.True(await Snapshots.WriteAsync(_key, Name("Second"), "0/200", 1, Ttl, TestContext.Current.CancellationToken));

        Assert.False(await Snapshots.WriteAsync(_key, Name("First"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal("Second", (await ReadAsync())["display_name"]);
    }

    [Fact]
    public async Task WriteAsync_EarlierTransactionWithAHigherPosition_KeepsTheLaterTransaction()
    {
        Assert.True(await Snapshots.WriteAsync(_key, Name("Grace"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));

        Assert.False(await Snapshots.WriteAsync(_key, Name("Ada"), "0/100", 7, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal("Grace", (await ReadAsync())["display_name"]);
    }

    [Fact]
    public async Task WriteAsync_OverASnapshotDjangoFilledFromTheDatabase_Replaces()
    {
        var djangoFill = PickledSnapshot.Write(new Dictionary<string, string?> { ["display_name"] = "Ada", ["_lsn"] = "0/0" });
        await _memcached.AddAsync(_key, djangoFill, PickledSnapshot.MemcachedFlags, Ttl, TestContext.Current.CancellationToken);

        Assert.True(await Snapshots.WriteAsync(_key, Name("Grace"), "0/16B3748", 0, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal(new Dictionary<string, string?> { ["display_name"] = "Grace", ["_lsn"] = "0/16B3748", ["_position"] = "0" }, await ReadAsync());
    }

    [Fact]
    public async Task WriteAsync_OverATruncatedPickle_Replaces()
    {
        // Nobody can read it (Django's pickle.loads fails too), and CacheBus, the only writer of real LSNs, never
        // writes one: it is no snapshot newer than this change, so replacing it is what heals the user's sessions.
        var truncated = Convert.FromHexString("80027d2858050000006162");
        await _memcached.SetAsync(_key, truncated, PickledSnapshot.MemcachedFlags, Ttl, cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(await Snapshots.WriteAsync(_key, Name("Grace"), "0/200", 0, Ttl, TestContext.Current.CancellationToken));
        Assert.Equal("Grace", (await ReadAsync())["display_name"]);
    }

    private static Dictionary<string, string?> Name(string name) => new() { ["display_name"] = name };

    private async Task<Dictionary<string, string?>> ReadAsync() =>
        PickledSnapshot.Read((await _memcached.GetAsync(_key, TestContext.Current.CancellationToken))!.Value.Span);
}
