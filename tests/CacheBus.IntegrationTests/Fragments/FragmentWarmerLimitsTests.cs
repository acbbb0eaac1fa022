using System.Text;
using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Fragments;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Fragments;

/// <summary>A policy's concurrency and rate limits hold against a real HTTP origin, with the real Redis.</summary>
public sealed class FragmentWarmerLimitsTests : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);
    private readonly TestOrigin _origin;
    private readonly string _prefix = $"test:{Guid.NewGuid():N}:";
    private readonly Lock _gate = new();
    private readonly List<DateTime> _fetches = [];
    private int _inFlight;
    private int _maxInFlight;

    public FragmentWarmerLimitsTests() => _origin = new TestOrigin(async request =>
    {
        lock (_gate)
        {
            _fetches.Add(DateTime.UtcNow);
            _maxInFlight = Math.Max(_maxInFlight, ++_inFlight);
        }

        await Task.Delay(100);
        lock (_gate)
        {
            _inFlight--;
        }

        return $"<b>card {request.Url!.Segments[^1]}</b>";
    });

    private string Origin => _origin.Address;

    public async ValueTask DisposeAsync()
    {
        _origin.Dispose();
        await _redis.DisposeAsync();
    }

    [Fact]
    public async Task WarmAsync_ManyFragments_NeverFetchMoreAtOnceThanMaxConcurrentWarms()
    {
        await using var warmer = Warmer(new FragmentPolicyOptions { MaxConcurrentWarms = 2, MaxFetchesPerSecond = 1000, CoalesceWindow = TimeSpan.Zero });

        await Task.WhenAll(Enumerable.Range(0, 10).Select(i => warmer.WarmAsync("card", $"{_prefix}{i}", $"{Origin}/card/{i}")));

        Assert.Equal(10, _fetches.Count);
        Assert.Equal(2, _maxInFlight);
        Assert.Equal("<b>card 3</b>", Unpickle(await _redis.GetDatabase().StringGetAsync($"{_prefix}3")));
    }

    [Fact]
    public async Task WarmAsync_ManyFragments_FetchNoFasterThanMaxFetchesPerSecond()
    {
        await using var warmer = Warmer(new FragmentPolicyOptions { MaxConcurrentWarms = 10, MaxFetchesPerSecond = 4, CoalesceWindow = TimeSpan.Zero });

        await Task.WhenAll(Enumerable.Range(0, 8).Select(i => warmer.WarmAsync("card", $"{_prefix}{i}", $"{Origin}/card/{i}")));

        var first = _fetches.Min();
        Assert.Equal(4, _fetches.Count(t => t - first < TimeSpan.FromMilliseconds(900))); // the bucket holds four
        Assert.Equal(8, _fetches.Count);
    }

    private FragmentWarmer Warmer(FragmentPolicyOptions policy)
    {
        policy.AllowedOrigins.Add(Origin);
        var options = new FragmentsOptions();
        options.Policies["card"] = policy;
        return new FragmentWarmer(_redis, new FragmentFetcher(new HttpClient()), Options.Create(options), TimeProvider.System, new TestLifetime());
    }

    // The pickle CacheBus stores for a str: PROTO 2, BINUNICODE <length> <utf-8>, STOP.
    private static string Unpickle(RedisValue value) => Encoding.UTF8.GetString(((byte[])value!)[7..^1]);
}
