using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

public sealed class MemcachedKeyTests
{
    private const string Param = "key";

    [Theory]
    [InlineData(":1:django.contrib.sessions.cachez1h4q5v8m2n7b3c6x9l0k4j8h2g5f1d")]
    [InlineData(":1:views.decorators.cache.cache_header..ca4c49a873be4d1402f11a43e57aa060.en-us.UTC")]
    [InlineData("clé-ünïcode")]
    public void Validate_ValidKey_Passes(string key)
    {
        MemcachedKey.Validate(key, Param);
    }

    [Fact]
    public void Validate_250Bytes_Passes()
    {
        MemcachedKey.Validate(new string('k', 250), Param);
    }

    [Fact]
    public void Validate_251Bytes_ThrowsNamingTheLimit()
    {
        var error = Assert.Throws<ArgumentException>(() => MemcachedKey.Validate(new string('k', 251), Param));

        Assert.Equal(Param, error.ParamName);
        Assert.Contains("at most 250 bytes", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_MultiByteCharacters_CountsUtf8Bytes()
    {
        // 126 two-byte characters: 126 characters but 252 bytes.
        Assert.Throws<ArgumentException>(() => MemcachedKey.Validate(new string('é', 126), Param));
    }

    [Theory]
    [InlineData("has space")]
    [InlineData("new\nline")]
    [InlineData("carriage\rreturn")]
    [InlineData("tab\there")]
    [InlineData("nul\0")]
    [InlineData("del\u007f")]
    [InlineData("c1\u0085")]
    public void Validate_SpaceOrControlCharacter_Throws(string key)
    {
        var error = Assert.Throws<ArgumentException>(() => MemcachedKey.Validate(key, Param));

        Assert.Contains("spaces or control characters", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void Validate_Empty_Throws(string? key)
    {
        Assert.Throws<ArgumentException>(() => MemcachedKey.Validate(key!, Param));
    }

    [Fact]
    public void Validate_LoneSurrogate_Throws()
    {
        Assert.Throws<ArgumentException>(() => MemcachedKey.Validate("a\ud800b", Param));
    }
}
