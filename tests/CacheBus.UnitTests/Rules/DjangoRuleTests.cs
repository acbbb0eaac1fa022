using CacheBus.Contracts;
using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Rules;

/// <summary>Rules that name a Django cache build Django's keys for keys, pages, fragments, tags and namespaces.</summary>
public sealed class DjangoRuleTests
{
    private static readonly RuleSet Rules = BuildRules();

    private static readonly RowChange MovedProduct = Change("products", RowOperation.Update) with
    {
        Key = Rows.Of(("id", "42")),
        OldValues = Rows.Of(("id", "42"), ("category_id", "7")),
        NewValues = Rows.Of(("id", "42"), ("category_id", "9")),
    };

    [Fact]
    public void Collect_DjangoCache_PutsKeysThroughTheKeyFunction()
    {
        Assert.Contains(new Target(TargetKind.Key, "shop:2:product:42", "product:42"), TargetsFor(Rules, MovedProduct));
    }

    [Fact]
    public void Collect_Page_TargetsItsHeaderListKey()
    {
        var page = Assert.Single(TargetsFor(Rules, MovedProduct), t => t.Origin.StartsWith("page ", StringComparison.Ordinal));

        Assert.Equal("shop:2:views.decorators.cache.cache_header..ca4c49a873be4d1402f11a43e57aa060.en-us.UTC", page.RedisKey);
    }

    [Fact]
    public void Collect_Fragment_TargetsDjangosFragmentKey()
    {
        var fragment = Assert.Single(TargetsFor(Rules, MovedProduct), t => t.Origin.StartsWith("fragment ", StringComparison.Ordinal));

        Assert.Equal("shop:2:template.cache.product_card.5d574b86b87d1f19068b92203aabb264", fragment.RedisKey);
    }

    [Fact]
    public void Collect_TagsAndNamespaces_CoverTheOldAndTheNewCategory()
    {
        var targets = TargetsFor(Rules, MovedProduct);

        Assert.Equal(
            ["shop:2:tag:category:7", "shop:2:tag:category:9"],
            targets.Where(t => t.Kind == TargetKind.Tag).Select(t => t.RedisKey).Order());
        Assert.Equal(
            ["shop:2:ns:product-list:7", "shop:2:ns:product-list:9"],
            targets.Where(t => t.Kind == TargetKind.Namespace).Select(t => t.RedisKey).Order());
    }

    private static RuleSet BuildRules()
    {
        var products = new TableRuleOptions { DjangoCache = "default" };
        products.Keys.Add("product:{id}");
        products.Pages.Add("https://shop.example.com/products/{id}/");
        products.Tags.Add("category:{category_id}");
        products.Namespaces.Add("product-list:{category_id}");
        var card = new FragmentRuleOptions { Name = "product_card" };
        card.VaryOn.AddRange(["{id}", "x"]);
        products.Fragments.Add(card);
        var rules = new RulesOptions();
        rules.Tables["products"] = products;
        var django = new DjangoOptions();
        django.Caches["default"] = new DjangoCacheOptions { KeyPrefix = "shop", Version = 2 };
        return With(rules, django);
    }
}
