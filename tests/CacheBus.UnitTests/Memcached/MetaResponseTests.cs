using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

public sealed class MetaResponseTests
{
    [Fact]
    public void Parse_ValueLine_ReadsLengthFlagsCasAndTtl()
    {
        var response = MetaResponse.Parse("VA 5 f16 c123 t-1");

        Assert.Equal(new MetaResponse(MetaStatus.Value, 5, 16u, 123ul, -1L, null), response);
    }

    [Fact]
    public void Parse_ValueLineWithFlagsInAnyOrder_ReadsThemAll()
    {
        var response = MetaResponse.Parse("VA 2 t200 f0 c7");

        Assert.Equal(new MetaResponse(MetaStatus.Value, 2, 0u, 7ul, 200L, null), response);
    }

    [Theory]
    [InlineData("HD", nameof(MetaStatus.Done))]
    [InlineData("EN", nameof(MetaStatus.Miss))]
    [InlineData("NS", nameof(MetaStatus.NotStored))]
    [InlineData("EX", nameof(MetaStatus.Exists))]
    [InlineData("NF", nameof(MetaStatus.NotFound))]
    [InlineData("MN", nameof(MetaStatus.NoOp))]
    public void Parse_StatusLine_GivesItsStatus(string line, string expected)
    {
        Assert.Equal(new MetaResponse(Enum.Parse<MetaStatus>(expected), 0, null, null, null, null), MetaResponse.Parse(line));
    }

    [Fact]
    public void Parse_OpaqueToken_IsReflected()
    {
        Assert.Equal(42, MetaResponse.Parse("NF O42").Opaque);
    }

    [Fact]
    public void Parse_FlagsNotAskedFor_AreIgnored()
    {
        var response = MetaResponse.Parse("VA 2 s2 kfoo W X Z f1");

        Assert.Equal(new MetaResponse(MetaStatus.Value, 2, 1u, null, null, null), response);
    }

    [Theory]
    [InlineData("CLIENT_ERROR bad command line format")]
    [InlineData("SERVER_ERROR object too large for cache")]
    [InlineData("SERVER_ERROR out of memory storing object")]
    public void Parse_ErrorLine_ThrowsWithTheServersText(string line)
    {
        var error = Assert.Throws<MemcachedException>(() => MetaResponse.Parse(line));

        Assert.Equal(line, error.Message);
    }

    [Fact]
    public void Parse_BareError_ThrowsSayingTheCommandWasNotRecognised()
    {
        var error = Assert.Throws<MemcachedException>(() => MetaResponse.Parse("ERROR"));

        Assert.StartsWith("ERROR", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("VALUE foo 0 2")]
    [InlineData("VA")]
    [InlineData("VA x")]
    [InlineData("VA 2 fx")]
    [InlineData("HD c-5")]
    [InlineData("OK")]
    public void Parse_UnexpectedLine_ThrowsNamingIt(string line)
    {
        var error = Assert.Throws<MemcachedException>(() => MetaResponse.Parse(line));

        Assert.Contains($"'{line}'", error.Message, StringComparison.Ordinal);
    }
}
