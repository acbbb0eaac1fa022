using CacheBus.Contracts;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Rules;

public sealed class RuleSetTests
{
    [Fact]
    public void CollectKeys_TableWithoutRules_YieldsNothing()
    {
        var rules = For(("products", ["product:{id}"]));
        var change = Change("sessions", RowOperation.Insert) with
        {
            Key = Rows.Of(("id", "42")),
            NewValues = Rows.Of(("id", "42")),
        };

        Assert.Empty(KeysFor(rules, change));
    }

    [Fact]
    public void CollectKeys_RuleWithSchema_AppliesOnlyToThatSchema()
    {
        var rules = For(("sales.orders", ["order:{id}"]));
        var inSales = Change("orders", RowOperation.Delete, schema: "sales") with { Key = Rows.Of(("id", "1")) };
        var inPublic = Change("orders", RowOperation.Delete) with { Key = Rows.Of(("id", "2")) };

        Assert.Equal(["order:1"], KeysFor(rules, inSales, inPublic));
    }

    [Fact]
    public void CollectKeys_ChangesSharingKeys_YieldsTheUnionOfTheirKeys()
    {
        var rules = For(("products", ["product:{id}", "product-list:category:{category_id}"]));
        var first = Change("products", RowOperation.Update) with
        {
            Key = Rows.Of(("id", "42")),
            OldValues = Rows.Of(("id", "42"), ("category_id", "7"), ("price", "12.50")),
            NewValues = Rows.Of(("id", "42"), ("category_id", "7"), ("price", "11.00")),
        };
        var second = first with
        {
            OldValues = first.NewValues,
            NewValues = Rows.Of(("id", "42"), ("category_id", "7"), ("price", "10.00")),
        };

        Assert.Equal(["product:42", "product-list:category:7"], KeysFor(rules, first, second));
    }
}
