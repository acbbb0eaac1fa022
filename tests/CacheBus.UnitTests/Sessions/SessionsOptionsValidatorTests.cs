using CacheBus.Service;
using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Sessions;

public sealed class SessionsOptionsValidatorTests
{
    [Fact]
    public void Validate_DefaultKeys_Succeed()
    {
        var result = Validate(_ => { });

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Theory]
    [InlineData("RegistryKey", "cachebus:sessions:{user_id}:{tenant}")]
    [InlineData("RegistryKey", "cachebus:sessions:{user_id}:{user_id}")]
    [InlineData("RegistryKey", "cachebus:sessions")]
    [InlineData("SnapshotKey", "cachebus.profile.{id}")]
    [InlineData("SnapshotKey", "cachebus.profile")]
    public void Validate_KeyNotMadeOfTheUserIdAlone_FailsNamingIt(string setting, string template)
    {
        var result = Validate(o =>
        {
            if (setting == "RegistryKey")
            {
                o.RegistryKey = template;
            }
            else
            {
                o.SnapshotKey = template;
            }
        });

        Assert.StartsWith($"CacheBus:Sessions:{setting}: '{template}' must name {{user_id}}", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(Action<SessionsOptions> configure)
    {
        var rules = new RulesOptions();
        rules.Tables["profiles"] = new TableRuleOptions();
        var django = new DjangoOptions();
        django.Caches["sessions"] = new DjangoCacheOptions();
        var sessions = new SessionsOptions { Table = "profiles" };
        configure(sessions);
        var validator = new SessionsOptionsValidator(
            Options.Create(rules), Options.Create(django), Options.Create(new ConnectionStringsOptions { Memcached = "127.0.0.1:11211" }));
        return validator.Validate(null, sessions);
    }
}
