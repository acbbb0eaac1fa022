using CacheBus.Service;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Hosting;

public sealed class ConnectionStringsValidatorTests
{
    private const string Postgres = "Host=127.0.0.1;Username=cachebus;Database=shop";
    private const string RabbitMq = "amqp://cachebus:secret@127.0.0.1:5672/";
    private const string Redis = "127.0.0.1:6379";

    [Fact]
    public void Validate_EveryServerGiven_Succeeds()
    {
        var result = Validate(CacheBusRole.All, Postgres, RabbitMq, Redis);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(null)]
    [InlineData(" ")]
    public void Validate_ListenerWithoutPostgres_FailsNamingPostgres(string? postgres)
    {
        var result = Validate(CacheBusRole.Listener, postgres, RabbitMq, Redis);

        Assert.StartsWith("ConnectionStrings:Postgres: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConsumersWithoutPostgres_Succeeds()
    {
        var result = Validate(CacheBusRole.Consumers, postgres: null, RabbitMq, Redis);

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("127.0.0.1:5672")]
    [InlineData("http://127.0.0.1:15672/")]
    public void Validate_RabbitMqNotAnAmqpAddress_FailsNamingRabbitMq(string? rabbitMq)
    {
        var result = Validate(CacheBusRole.All, Postgres, rabbitMq, Redis);

        Assert.StartsWith("ConnectionStrings:RabbitMq: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ConsumersWithoutRedis_FailsNamingRedis()
    {
        var result = Validate(CacheBusRole.Consumers, postgres: null, RabbitMq, redis: "");

        Assert.StartsWith("ConnectionStrings:Redis: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_ListenerWithoutRedis_FailsNamingRedis()
    {
        // The listener records its slot position in Redis (SlotPosition), where it survives the slot.
        var result = Validate(CacheBusRole.Listener, Postgres, RabbitMq, redis: null);

        Assert.StartsWith("ConnectionStrings:Redis: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(CacheBusRole role, string? postgres, string? rabbitMq, string? redis)
    {
        var validator = new ConnectionStringsValidator(Options.Create(new CacheBusOptions { Role = role }));
        return validator.Validate(Options.DefaultName, new ConnectionStringsOptions { Postgres = postgres, RabbitMq = rabbitMq, Redis = redis });
    }
}
