using CacheBus.Service.Django;

namespace CacheBus.UnitTests.Django;

/// <summary>Expected keys were computed by Django 3.2.25 itself (Debian's python3-django) for the same inputs.</summary>
public sealed class DjangoKeysTests
{
    private static readonly DjangoKeys Default = new(new DjangoCacheOptions());

    [Fact]
    public void Key_PrefixAndVersion_FollowsDjangosDefaultKeyFunction()
    {
        var keys = new DjangoKeys(new DjangoCacheOptions { KeyPrefix = "shop", Version = 3 });

        Assert.Equal("shop:3:product:42", keys.Key("product:42"));
    }

    [Fact]
    public void Key_Defaults_HaveEmptyPrefixAndVersion1()
    {
        Assert.Equal(":1:product:42", Default.Key("product:42"));
    }

    [Fact]
    public void FragmentKey_WithVaryOn_MatchesMakeTemplateFragmentKey()
    {
        Assert.Equal(":1:template.cache.product_card.5d574b86b87d1f19068b92203aabb264", Default.FragmentKey("product_card", ["42", "x"]));
    }

    [Fact]
    public void PageHeaderKeys_StartprojectSettings_EndWithLanguageAndTimeZone()
    {
        Assert.Equal(
            [":1:views.decorators.cache.cache_header..ca4c49a873be4d1402f11a43e57aa060.en-us.UTC"],
            Default.PageHeaderKeys("https://shop.example.com/products/42/"));
    }

    [Fact]
    public void PageHeaderKeys_NonAsciiPathAndKeyPrefix_HashTheIriAsDjangoDoes()
    {
        var keys = new DjangoKeys(new DjangoCacheOptions { PageKeyPrefix = "site1" });

        Assert.Equal(
            [":1:views.decorators.cache.cache_header.site1.9d54f01a47199ad79ba83200c3bcf5f8.en-us.UTC"],
            keys.PageHeaderKeys("http://shop.example.com/produits/crème/?page=2"));
    }

    [Fact]
    public void PageHeaderKeys_ReservedCharactersInThePath_AreEscapedAsDjangoEscapesTheRequestPath()
    {
        var keys = new DjangoKeys(new DjangoCacheOptions());

        Assert.Equal(
            [":1:views.decorators.cache.cache_header..99efaefce8a6719ac9bab5573e16bcb8.en-us.UTC"],
            keys.PageHeaderKeys("http://shop.example.com/p/a=b;c%d/x[1]/?q=a b&x=ü"));
    }

    [Fact]
    public void PageHeaderKeys_SeveralLanguagesAndZones_OneKeyPerVariant()
    {
        var keys = new DjangoKeys(new DjangoCacheOptions { Languages = ["en-us", "de"], TimeZones = ["UTC", "Europe/Berlin"] });

        var variants = keys.PageHeaderKeys("https://shop.example.com/").Select(k => k[(k.LastIndexOf('.', k.LastIndexOf('.') - 1) + 1)..]);

        Assert.Equal(["en-us.UTC", "en-us.Europe/Berlin", "de.UTC", "de.Europe/Berlin"], variants);
    }

    [Fact]
    public void PageHeaderKeys_WithoutI18nAndTz_HaveNoSuffix()
    {
        var keys = new DjangoKeys(new DjangoCacheOptions { UseI18n = false, UseTz = false });

        Assert.Equal(
            [":1:views.decorators.cache.cache_header..ca4c49a873be4d1402f11a43e57aa060"],
            keys.PageHeaderKeys("https://shop.example.com/products/42/"));
    }

    [Theory]
    [InlineData("https://shop.example.com/a b/", "https://shop.example.com/a%20b/")]
    [InlineData("https://shop.example.com/crème/?q=ü&x=1#top", "https://shop.example.com/cr%C3%A8me/?q=%C3%BC&x=1#top")]
    [InlineData("https://shop.example.com/~user/(1);a=b,c!*'@$+", "https://shop.example.com/~user/(1);a=b,c!*'@$+")]
    public void IriToUri_EncodesOnlyWhatDjangoEncodes(string iri, string uri)
    {
        Assert.Equal(uri, DjangoKeys.IriToUri(iri));
    }
}
