using System.Text.Json;
using CacheBus.IntegrationTests.Memcached;
using CacheBus.Service.Django;
using CacheBus.Service.Memcached;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.Options;

namespace CacheBus.IntegrationTests.Sessions;

/// <summary>
/// Issue 14's proof: the profile snapshots CacheBus writes over two memcached nodes are the ones Django 3.2's
/// PyMemcacheCache (pymemcache's HashClient) reads, whichever form of LOCATION the site uses. The two nodes are
/// throwaway ones of the test's own; CacheBus is configured with them as <c>a,b</c>, as ConnectionStrings:Memcached.
/// </summary>
public sealed class SnapshotsOnSeveralNodesTests : IAsyncLifetime
{
    private const string KeyPrefix = "shop";
    private const int Version = 3;
    private const int Users = 200;

    private ExtraMemcached _a = null!;
    private ExtraMemcached _b = null!;
    private MemcachedClient _both = null!;
    private MemcachedClient _onlyA = null!;
    private MemcachedClient _onlyB = null!;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    private ProfileSnapshots Snapshots => new(_both);

    public async ValueTask InitializeAsync()
    {
        _a = await ExtraMemcached.StartAsync();
        _b = await ExtraMemcached.StartAsync();
        _both = TestMemcached.Client([_a.Address, _b.Address]);
        _onlyA = TestMemcached.Client([_a.Address]);
        _onlyB = TestMemcached.Client([_b.Address]);
    }

    public async ValueTask DisposeAsync()
    {
        await _onlyB.DisposeAsync();
        await _onlyA.DisposeAsync();
        await _both.DisposeAsync();
        await _b.DisposeAsync();
        await _a.DisposeAsync();
    }

    [Theory]
    [InlineData("list")]
    [InlineData("list in the other order")]
    [InlineData("string split on ;")]
    [InlineData("string split on ,")]
    public async Task WriteAsync_ManyUsers_DjangoReadsEachSnapshotAndTheyLandOnBothNodes(string form)
    {
        var location = form switch
        {
            "list" => JsonSerializer.SerializeToElement(new[] { _a.Address, _b.Address }),
            "list in the other order" => JsonSerializer.SerializeToElement(new[] { _b.Address, _a.Address }),
            "string split on ;" => JsonSerializer.SerializeToElement($"{_a.Address};{_b.Address}"),
            _ => JsonSerializer.SerializeToElement($"{_a.Address},{_b.Address}"),
        };
        var users = Enumerable.Range(0, Users).Select(UserId).ToList();
        var written = new Dictionary<string, Dictionary<string, string?>>(StringComparer.Ordinal);
        for (var i = 0; i < users.Count; i++)
        {
            var values = new Dictionary<string, string?> { ["display_name"] = i % 7 == 0 ? null : $"Grâce Hopper {i}" };
            var lsn = $"0/{0x16B3748 + i:X}";
            Assert.True(await Snapshots.WriteAsync(Policy.SnapshotKey(users[i]), values, lsn, 0, TestMemcached.Ttl, Cancel));
            written[users[i]] = new(values) { [ProfileSnapshots.LsnField] = lsn, [ProfileSnapshots.PositionField] = "0" };
        }

        var read = await DjangoAsync(location, "get", users.Select(SnapshotKeyBeforeDjangosKeyFunction));

        var missed = users.Where((user, i) => !Same(written[user], read[i])).ToList();
        Assert.True(missed.Count == 0, $"Django did not read what CacheBus wrote for {missed.Count} of {Users} users, e.g. {string.Join(", ", missed.Take(5))}");
        var onA = await CountAsync(_onlyA, users);
        var onB = await CountAsync(_onlyB, users);
        Assert.True(onA > 0 && onB > 0, $"The snapshots should spread over both nodes: {onA} on a, {onB} on b");
        Assert.Equal(Users, onA + onB); // each on one node only
    }

    // pymemcache's HashClient takes a node that failed out of its hash for a while (dead_timeout, 60 s by default)
    // and meanwhile reads and fills that node's keys on the others: its hash then holds only the other nodes, as a
    // client built with LOCATION = [b] has. CacheBus writes to the owner, and removes such a copy, or that process
    // would read it (stale) the next time it counts the owner dead.
    [Fact]
    public async Task WriteAsync_CopyADjangoProcessFilledOnTheOtherNodeWhileTheOwnerWasOut_IsRemoved()
    {
        var (user, key) = await StaleCopyOnBOfASnapshotOfAAsync();

        Assert.True(await Snapshots.WriteAsync(Policy.SnapshotKey(user), new Dictionary<string, string?> { ["display_name"] = "Grace" }, "0/16B3748", 0, TestMemcached.Ttl, Cancel));

        Assert.Equal(JsonValueKind.Null, (await DjangoAsync(OnlyB, "get", [key]))[0].ValueKind);
        Assert.Equal("Grace", (await DjangoAsync(AAndB, "get", [key]))[0].GetProperty("display_name").GetString());
    }

    // While the owner is down for CacheBus too, the processes that counted it dead read the other node: the copy there
    // goes all the same, and the write fails, so the change is retried until the owner has it.
    [Fact]
    public async Task WriteAsync_OwnerNodeDown_RemovesTheCopyOnTheOtherNodeAndFails()
    {
        var (user, key) = await StaleCopyOnBOfASnapshotOfAAsync();
        await _a.DisposeAsync();

        await Assert.ThrowsAsync<MemcachedException>(
            () => Snapshots.WriteAsync(Policy.SnapshotKey(user), new Dictionary<string, string?> { ["display_name"] = "Grace" }, "0/16B3748", 0, TestMemcached.Ttl, Cancel));

        Assert.Equal(JsonValueKind.Null, (await DjangoAsync(OnlyB, "get", [key]))[0].ValueKind);
    }

    [Fact]
    public async Task WriteAsync_OtherNodeDown_StillWritesTheKeysNodeAndFails()
    {
        var (user, key) = await StaleCopyOnBOfASnapshotOfAAsync();
        await _b.DisposeAsync();

        await Assert.ThrowsAsync<MemcachedException>(
            () => Snapshots.WriteAsync(Policy.SnapshotKey(user), new Dictionary<string, string?> { ["display_name"] = "Grace" }, "0/16B3748", 0, TestMemcached.Ttl, Cancel));

        Assert.Equal("Grace", (await DjangoAsync(AAndB, "get", [key]))[0].GetProperty("display_name").GetString());
    }

    private static SessionPolicy Policy { get; } = BuildPolicy();

    private JsonElement AAndB => JsonSerializer.SerializeToElement(new[] { _a.Address, _b.Address });

    private JsonElement OnlyB => JsonSerializer.SerializeToElement(new[] { _b.Address });

    // A user whose snapshot belongs on a, and an old copy of it on b, stored by Django as a process that counted a dead does.
    private async Task<(string User, string Key)> StaleCopyOnBOfASnapshotOfAAsync()
    {
        var candidates = Enumerable.Range(0, 20).Select(UserId).ToList();
        var owners = await DjangoAsync(AAndB, "node", candidates.Select(user => Policy.SnapshotKey(user)));
        var user = candidates[owners.FindIndex(owner => owner.GetInt32() == 0)];
        var key = SnapshotKeyBeforeDjangosKeyFunction(user);
        var stale = JsonSerializer.Serialize(new Dictionary<string, string?> { ["display_name"] = "Ada", [ProfileSnapshots.LsnField] = "0/0" });
        Assert.True((await DjangoAsync(OnlyB, "add", [$"{key}\t{stale}"]))[0].GetBoolean());
        return (user, key);
    }

    // Numbers, and names in UTF-8 (a user id column may hold usernames): the hash must agree on both.
    private static string UserId(int i) => (i % 10) switch
    {
        0 => $"jürgen.{i}",
        1 => $"用户{i}",
        2 => $"😀{i}",
        _ => $"{1000 + i}",
    };

    // SessionsOptions.SnapshotKey's default; Django's key function adds KEY_PREFIX and VERSION itself.
    private static string SnapshotKeyBeforeDjangosKeyFunction(string user) => $"cachebus.profile.{user}";

    private static SessionPolicy BuildPolicy()
    {
        var sessions = new SessionsOptions { Table = "profiles", DjangoCache = "sessions" };
        sessions.SnapshotColumns.Add("display_name");
        var django = new DjangoOptions();
        django.Caches["sessions"] = new DjangoCacheOptions { KeyPrefix = KeyPrefix, Version = Version };
        return new SessionPolicy(Options.Create(sessions), Options.Create(django));
    }

    private static bool Same(Dictionary<string, string?> written, JsonElement read) =>
        read.ValueKind == JsonValueKind.Object
        && read.Deserialize<Dictionary<string, string?>>() is { } values
        && values.Count == written.Count
        && written.All(pair => values.TryGetValue(pair.Key, out var value) && value == pair.Value);

    private static async Task<int> CountAsync(MemcachedClient node, IEnumerable<string> users)
    {
        var found = 0;
        foreach (var user in users)
        {
            found += await node.GetAsync(Policy.SnapshotKey(user), Cancel) is null ? 0 : 1;
        }

        return found;
    }

    private static async Task<List<JsonElement>> DjangoAsync(JsonElement location, string mode, IEnumerable<string> lines)
    {
        var cache = JsonSerializer.Serialize(new { LOCATION = location, KEY_PREFIX = KeyPrefix, VERSION = Version });
        var output = await DjangoCacheScript.RunAsync(cache, mode, lines, Cancel);
        return [.. output.Select(line => JsonDocument.Parse(line).RootElement)];
    }
}
