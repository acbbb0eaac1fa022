using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

public sealed class MemcachedClientOptionsValidatorTests
{
    private static readonly MemcachedClientOptionsValidator Validator = new();

    [Fact]
    public void Validate_Defaults_WithOneServer_Succeed()
    {
        var result = Validator.Validate(null, new MemcachedClientOptions { Servers = ["127.0.0.1:11211"] });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_NoServer_FailsNamingTheSetting()
    {
        var result = Validator.Validate(null, new MemcachedClientOptions());

        Assert.Contains("CacheBus:Memcached:Servers:", result.FailureMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_EveryMistake_IsReportedAtOnceWithItsPath()
    {
        var result = Validator.Validate(null, new MemcachedClientOptions
        {
            Servers = ["127.0.0.1:11211", "cache-2"],
            PoolSizePerServer = 0,
            OperationTimeout = TimeSpan.Zero,
            MaxValueSize = 0,
        });

        Assert.Equal(
            ["CacheBus:Memcached:Servers:1", "CacheBus:Memcached:PoolSizePerServer", "CacheBus:Memcached:OperationTimeout", "CacheBus:Memcached:MaxValueSize"],
            result.Failures!.Select(failure => failure[..failure.IndexOf(": ", StringComparison.Ordinal)]));
    }

    [Theory]
    [InlineData("127.0.0.1:11211", "127.0.0.1", 11211)]
    [InlineData("memcached.internal:11211", "memcached.internal", 11211)]
    [InlineData("[::1]:11211", "::1", 11211)]
    public void EndpointTryParse_HostAndPort_Parses(string text, string host, int port)
    {
        Assert.True(MemcachedEndpoint.TryParse(text, out var endpoint));
        Assert.Equal(new MemcachedEndpoint(host, port), endpoint);
        Assert.Equal(text, endpoint.ToString());
    }

    [Theory]
    [InlineData("localhost")]
    [InlineData(":11211")]
    [InlineData("host:0")]
    [InlineData("host:65536")]
    [InlineData("host:-1")]
    [InlineData("two words:11211")]
    public void EndpointTryParse_Malformed_Fails(string text)
    {
        Assert.False(MemcachedEndpoint.TryParse(text, out _));
    }
}
