using CacheBus.Service.Fragments;

namespace CacheBus.UnitTests.Fragments;

public sealed class FragmentsOptionsValidatorTests
{
    private const string Path = "CacheBus:Fragments:Policies:card";

    [Fact]
    public void Validate_DefaultPolicyWithToken_Succeeds()
    {
        var result = new FragmentsOptionsValidator().Validate(null, Options(_ => { }));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  ")]
    public void Validate_PolicyWithoutToken_FailsNamingTheToken(string? token)
    {
        var options = Options(_ => { });
        options.Token = token;

        var failure = Assert.Single(new FragmentsOptionsValidator().Validate(null, options).Failures ?? []);

        Assert.StartsWith("CacheBus:Fragments:Token: ", failure, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoPolicyAndNoToken_Succeeds()
    {
        var result = new FragmentsOptionsValidator().Validate(null, new FragmentsOptions());

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("00:00:00")]
    [InlineData("-00:00:01")]
    [InlineData("00:01:00.001")]
    public void Validate_TimeoutOutOfBounds_FailsNamingTimeout(string timeout)
    {
        AssertSingleFailure("Timeout", p => p.Timeout = TimeSpan.Parse(timeout, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void Validate_TimeoutNotShorterThanTheShortestTtl_FailsNamingTimeout()
    {
        // Ttl 3 s moved by up to 1 s: a fragment may live 2 s, no longer than one fetch may take.
        AssertSingleFailure("Timeout", p => (p.Ttl, p.Jitter, p.Timeout) = (TimeSpan.FromSeconds(3), TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [InlineData("-00:00:00.001")]
    [InlineData("1.00:00:00.001")]
    public void Validate_StaleWhileRevalidateOutOfBounds_FailsNamingIt(string window)
    {
        AssertSingleFailure("StaleWhileRevalidate", p => p.StaleWhileRevalidate = TimeSpan.Parse(window, System.Globalization.CultureInfo.InvariantCulture));
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    [InlineData((16 * 1024 * 1024) + 1)]
    [InlineData(int.MaxValue)]
    public void Validate_MaxBytesOutOfBounds_FailsNamingMaxBytes(int maxBytes)
    {
        AssertSingleFailure("MaxBytes", p => p.MaxBytes = maxBytes);
    }

    [Theory]
    [InlineData("https://shop.example.com/card x/?vary={id}")]
    [InlineData("https://shop.example.com/card/?vary={{{id}}}")]
    [InlineData("shop.example.com/card/?vary={id}")]
    [InlineData("ftp://shop.example.com/card/{id}")]
    public void Validate_OriginUrlNotAWellFormedHttpUrl_FailsNamingIt(string url)
    {
        // The URL is sent as built (values escaped, the rest untouched), so its own text must need no escaping.
        AssertSingleFailure("OriginUrl", p => p.OriginUrl = url);
    }

    [Fact]
    public void Validate_BoundsThemselves_Succeed()
    {
        var options = Options(p => (p.Timeout, p.StaleWhileRevalidate, p.MaxBytes) = (TimeSpan.FromMinutes(1), TimeSpan.FromDays(1), 16 * 1024 * 1024));

        var result = new FragmentsOptionsValidator().Validate(null, options);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    private static void AssertSingleFailure(string setting, Action<FragmentPolicyOptions> configure)
    {
        var failure = Assert.Single(new FragmentsOptionsValidator().Validate(null, Options(configure)).Failures ?? []);

        Assert.StartsWith($"{Path}:{setting}: ", failure, StringComparison.Ordinal);
    }

    private static FragmentsOptions Options(Action<FragmentPolicyOptions> configure)
    {
        var policy = new FragmentPolicyOptions { OriginUrl = "https://shop.example.com/cachebus/fragments/card/?vary={id}" };
        policy.AllowedOrigins.Add("https://shop.example.com");
        configure(policy);
        var options = new FragmentsOptions { Token = "secret" };
        options.Policies["card"] = policy;
        return options;
    }
}
