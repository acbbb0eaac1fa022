using System.Collections.Concurrent;
using CacheBus.Contracts;
using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Django;
using CacheBus.Service.Fragments;
using CacheBus.Service.Redis;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.IntegrationTests.Fragments;

/// <summary>
/// Row values reach the origin as values: a real HTTP origin sees exactly the escaped request, never one whose path
/// or parameters a value changed, while the fragment is stored under Django's key for the raw value.
/// </summary>
public sealed class OriginUrlEscapingTests : IAsyncDisposable
{
    private readonly ConnectionMultiplexer _redis = ConnectionMultiplexer.Connect(Servers.Redis);
    private readonly ConcurrentQueue<string> _requests = new();
    private readonly TestOrigin _origin;

    public OriginUrlEscapingTests() => _origin = new TestOrigin(request =>
    {
        _requests.Enqueue(request.RawUrl!);
        return Task.FromResult("<b>card</b>");
    });

    private string Origin => _origin.Address;

    public async ValueTask DisposeAsync()
    {
        _origin.Dispose();
        await _redis.DisposeAsync();
    }

    [Theory]
    [InlineData("c++", "/cachebus/fragments/card/c%2B%2B/?vary=c%2B%2B&lang=en")]
    [InlineData("a&b", "/cachebus/fragments/card/a%26b/?vary=a%26b&lang=en")]
    [InlineData("..", "/cachebus/fragments/card/%2E%2E/?vary=..&lang=en")]
    [InlineData("../../admin/?x=", "/cachebus/fragments/card/%2E%2E%2F%2E%2E%2Fadmin%2F%3Fx%3D/?vary=..%2F..%2Fadmin%2F%3Fx%3D&lang=en")]
    public async Task Warm_RowValueInOriginUrl_ReachesTheOriginEscaped(string name, string expectedRequest)
    {
        var rules = Rules(out var fragments);
        await using var warmer = new FragmentWarmer(
            _redis, new FragmentFetcher(new HttpClient()), Options.Create(fragments), TimeProvider.System, new TestLifetime());
        var change = new RowChange
        {
            Schema = "public",
            Table = "products",
            Operation = RowOperation.Insert,
            Key = new Dictionary<string, string?> { ["id"] = "1" },
            NewValues = new Dictionary<string, string?> { ["id"] = "1", ["name"] = name },
            CommitLsn = "0/1",
            CommitTime = DateTimeOffset.UtcNow,
            TransactionId = 1,
        };
        var targets = new HashSet<Target>();
        rules.For(TableName.Parse("products"))!.Collect(change, targets);
        var warm = Assert.Single(targets, t => t.Kind == TargetKind.Warm);

        await warmer.WarmAsync(warm.Fragment!, warm.RedisKey, warm.Url!);

        Assert.Equal([expectedRequest], _requests);
        Assert.True(await _redis.GetDatabase().KeyExistsAsync(warm.RedisKey), "the fragment stored");
        await _redis.GetDatabase().KeyDeleteAsync(warm.RedisKey);
    }

    private RuleSet Rules(out FragmentsOptions fragments)
    {
        var products = new TableRuleOptions { DjangoCache = "default" };
        var card = new FragmentRuleOptions { Name = "card" };
        card.VaryOn.Add("{name}");
        products.Fragments.Add(card);
        var rules = new RulesOptions();
        rules.Tables["products"] = products;
        var django = new DjangoOptions();
        django.Caches["default"] = new DjangoCacheOptions { KeyPrefix = $"test-{Guid.NewGuid():N}" };
        var policy = new FragmentPolicyOptions
        {
            OriginUrl = Origin + "/cachebus/fragments/card/{name}/?vary={name}&lang=en",
            CoalesceWindow = TimeSpan.Zero,
            Retries = 0,
        };
        policy.AllowedOrigins.Add(Origin);
        fragments = new FragmentsOptions { Token = "secret" };
        fragments.Policies["card"] = policy;
        return new RuleSet(Options.Create(rules), Options.Create(django), Options.Create(new RedisOptions()), Options.Create(fragments));
    }
}
