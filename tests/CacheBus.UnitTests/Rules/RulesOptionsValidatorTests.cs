using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Rules;

public sealed class RulesOptionsValidatorTests
{
    [Fact]
    public void Validate_WellFormedRules_Succeeds()
    {
        var result = Validate(("products", ["product:{id}"]), ("sales.orders", ["order:{id}"]));

        Assert.True(result.Succeeded, result.FailureMessage);
    }

    [Fact]
    public void Validate_EmptyTemplate_FailsNamingTheTemplate()
    {
        var result = Validate(("products", ["product:{id}", ""]));

        Assert.StartsWith("CacheBus:Rules:Tables:products:Keys:1: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_TableWithoutKeys_FailsNamingItsKeys()
    {
        var result = Validate(("products", []));

        Assert.StartsWith("CacheBus:Rules:Tables:products:Keys: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("a.b.c")]
    [InlineData("public.")]
    [InlineData(".products")]
    public void Validate_BadTableName_FailsNamingTheTable(string table)
    {
        var result = Validate((table, ["product:{id}"]));

        Assert.StartsWith($"CacheBus:Rules:Tables:{table}: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_SameTableTwice_FailsNamingTheSecond()
    {
        var result = Validate(("products", ["product:{id}"]), ("public.products", ["item:{id}"]));

        Assert.StartsWith("CacheBus:Rules:Tables:public.products: the same table as 'products'", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    [Fact]
    public void Validate_NoTables_FailsNamingTheTables()
    {
        var result = Validate();

        Assert.StartsWith("CacheBus:Rules:Tables: ", Assert.Single(result.Failures ?? []), StringComparison.Ordinal);
    }

    private static ValidateOptionsResult Validate(params (string Table, string[] Keys)[] tables) =>
        new RulesOptionsValidator(Options.Create(new DjangoOptions())).Validate(Options.DefaultName, TestRules.OptionsFor(tables));
}
