using CacheBus.Contracts;
using CacheBus.Service.Django;
using CacheBus.Service.Fragments;
using CacheBus.Service.Redis;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Rules;

/// <summary>Row values put into a warmed fragment's OriginUrl are escaped for where they stand, never read as URL syntax.</summary>
public sealed class WarmedFragmentUrlTests
{
    private static readonly RuleSet Rules = BuildRules("https://shop.example.com/cachebus/fragments/card/{name}/?vary={name}&lang=en");

    [Theory]
    [InlineData("c++", "c%2B%2B/?vary=c%2B%2B&lang=en")]
    [InlineData("a&b=c", "a%26b%3Dc/?vary=a%26b%3Dc&lang=en")]
    [InlineData("..", "%2E%2E/?vary=..&lang=en")]
    [InlineData("a/../b?x#y", "a%2F%2E%2E%2Fb%3Fx%23y/?vary=a%2F..%2Fb%3Fx%23y&lang=en")]
    [InlineData("Crème brûlée", "Cr%C3%A8me%20br%C3%BBl%C3%A9e/?vary=Cr%C3%A8me%20br%C3%BBl%C3%A9e&lang=en")]
    public void Collect_WarmedFragment_EscapesEachValueForItsPlace(string name, string expectedTail)
    {
        var url = Assert.Single(TargetsFor(Rules, Inserted(name)), t => t.Kind == TargetKind.Warm).Url;

        Assert.Equal("https://shop.example.com/cachebus/fragments/card/" + expectedTail, url);
    }

    [Fact]
    public void Collect_WarmedFragment_KeyIsMadeFromTheRawValue()
    {
        var escaped = Assert.Single(TargetsFor(Rules, Inserted("c++")), t => t.Kind == TargetKind.Warm);
        var plain = Assert.Single(TargetsFor(BuildRules("https://shop.example.com/card/"), Inserted("c++")), t => t.Kind == TargetKind.Warm);

        Assert.Equal(plain.RedisKey, escaped.RedisKey); // Django's fragment key hashes the vary_on value itself
    }

    private static RowChange Inserted(string name) =>
        Change("products", RowOperation.Insert) with { Key = Rows.Of(("id", "42")), NewValues = Rows.Of(("id", "42"), ("name", name)) };

    private static RuleSet BuildRules(string originUrl)
    {
        var products = new TableRuleOptions { DjangoCache = "default" };
        var card = new FragmentRuleOptions { Name = "card" };
        card.VaryOn.Add("{name}");
        products.Fragments.Add(card);
        var rules = new RulesOptions();
        rules.Tables["products"] = products;
        var django = new DjangoOptions();
        django.Caches["default"] = new DjangoCacheOptions();
        var fragments = new FragmentsOptions { Token = "secret" };
        fragments.Policies["card"] = new FragmentPolicyOptions { OriginUrl = originUrl };
        return new RuleSet(Options.Create(rules), Options.Create(django), Options.Create(new RedisOptions()), Options.Create(fragments));
    }
}
