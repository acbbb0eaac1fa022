using CacheBus.Service;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Hosting;

/// <summary>
/// A bad setting must stop start-up before anything connects: every address here points at a closed port, so a host
/// that got past validation would wait on its first connection, which the time limit turns into a failure.
/// </summary>
public sealed class HostStartupTests
{
    private static readonly TimeSpan StartLimit = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task StartAsync_EmptyKeyTemplate_FailsNamingTheSetting()
    {
        using var host = Build(("CacheBus:Rules:Tables:products:Keys:1", ""));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(host));

        Assert.Contains("CacheBus:Rules:Tables:products:Keys:1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_ZeroMaxBatchSize_FailsNamingTheSetting()
    {
        using var host = Build(("CacheBus:Replication:MaxBatchSize", "0"));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(host));

        Assert.Contains("CacheBus:Replication:MaxBatchSize: 0 must be between 1 and 10000", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("-00:00:00.001")]
    [InlineData("00:00:02")]
    public async Task StartAsync_BatchLingerOutOfRange_FailsNamingTheSetting(string linger)
    {
        using var host = Build(("CacheBus:Replication:BatchLinger", linger));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(host));

        Assert.Contains("CacheBus:Replication:BatchLinger:", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CacheBus:Retry:Limit", "-1")]
    [InlineData("CacheBus:Retry:MaxInterval", "00:00:00")]
    [InlineData("CacheBus:Retry:MaxInterval", "01:00:00")]
    public async Task StartAsync_RetryOutOfRange_FailsNamingTheSetting(string setting, string value)
    {
        using var host = Build((setting, value));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(host));

        Assert.Contains(setting + ":", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("CacheBus:Replication:FlushPrefixes", null)]
    [InlineData("CacheBus:Replication:FlushPrefixes:0", " ")]
    public async Task StartAsync_FlushPrefixesRecoveryWithoutAPattern_FailsNamingFlushPrefixes(string setting, string? value)
    {
        using var host = Build(("CacheBus:Replication:OnSlotLost", "FlushPrefixes"), (setting, value));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => StartAsync(host));

        Assert.Contains("CacheBus:Replication:FlushPrefixes:", error.Message, StringComparison.Ordinal);
    }

    private static IHost Build(params (string Key, string? Value)[] overrides)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection(
        [
            new("ConnectionStrings:Postgres", "Host=127.0.0.1;Port=1;Username=cachebus;Database=shop"),
            new("ConnectionStrings:RabbitMq", "amqp://cachebus:secret@127.0.0.1:1/"),
            new("ConnectionStrings:Redis", "127.0.0.1:1"),
            new("CacheBus:Rules:Tables:products:Keys:0", "product:{id}"),
        ]);
        builder.Configuration.AddInMemoryCollection(overrides.Select(o => new KeyValuePair<string, string?>(o.Key, o.Value)));
        builder.AddCacheBus();
        return builder.Build();
    }

    private static async Task StartAsync(IHost host)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        limit.CancelAfter(StartLimit);
        await host.StartAsync(limit.Token);
    }
}
