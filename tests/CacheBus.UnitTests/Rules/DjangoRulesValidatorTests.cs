using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Rules;

public sealed class DjangoRulesValidatorTests
{
    [Fact]
    public void Validate_UnknownDjangoCache_FailsNamingTheSetting()
    {
        var result = Validate(new TableRuleOptions { DjangoCache = "sessions", Keys = { "product:{id}" } });

        Assert.StartsWith(
            "CacheBus:Rules:Tables:products:DjangoCache: 'sessions' is not configured", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_PagesWithoutDjangoCache_FailsNamingTheSetting()
    {
        var result = Validate(new TableRuleOptions { Pages = { "https://shop.example.com/products/{id}/" } });

        Assert.StartsWith("CacheBus:Rules:Tables:products:DjangoCache: pages and fragments", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("product card")]
    public void Validate_BadFragmentName_FailsNamingTheSetting(string name)
    {
        var result = Validate(new TableRuleOptions { DjangoCache = "default", Fragments = { new FragmentRuleOptions { Name = name } } });

        Assert.StartsWith("CacheBus:Rules:Tables:products:Fragments:0:Name: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_BadVaryOnTemplate_FailsNamingTheSetting()
    {
        var fragment = new FragmentRuleOptions { Name = "product_card", VaryOn = { "{id}", "{category_id" } };

        var result = Validate(new TableRuleOptions { DjangoCache = "default", Fragments = { fragment } });

        Assert.StartsWith("CacheBus:Rules:Tables:products:Fragments:0:VaryOn:1: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_OnlyTagsAndNamespaces_Succeeds()
    {
        var result = Validate(new TableRuleOptions { Tags = { "category:{category_id}" }, Namespaces = { "product-list:{category_id}" } });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private static ValidateOptionsResult Validate(TableRuleOptions products)
    {
        var django = new DjangoOptions();
        django.Caches["default"] = new DjangoCacheOptions();
        var rules = new RulesOptions();
        rules.Tables["products"] = products;
        return new RulesOptionsValidator(Options.Create(django)).Validate(Options.DefaultName, rules);
    }
}
