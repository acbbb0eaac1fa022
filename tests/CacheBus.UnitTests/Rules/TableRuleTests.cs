using CacheBus.Contracts;
using CacheBus.Service.Rules;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Rules;

public sealed class TableRuleTests
{
    private static readonly RuleSet Products = For(("products", ["product:{id}", "product-list:category:{category_id}"]));

    [Fact]
    public void CollectKeys_Insert_RendersFromTheNewRow()
    {
        var change = Change("products", RowOperation.Insert) with
        {
            Key = Rows.Of(("id", "42")),
            NewValues = Rows.Of(("id", "42"), ("category_id", "7"), ("name", "Espresso cup")),
        };

        Assert.Equal(["product:42", "product-list:category:7"], KeysFor(Products, change));
    }

    [Fact]
    public void CollectKeys_UpdateThatMovesTheCategory_InvalidatesBothCategoryLists()
    {
        var change = Change("products", RowOperation.Update) with
        {
            Key = Rows.Of(("id", "42")),
            OldValues = Rows.Of(("id", "42"), ("category_id", "7")),
            NewValues = Rows.Of(("id", "42"), ("category_id", "9")),
        };

        Assert.Equal(["product:42", "product-list:category:7", "product-list:category:9"], KeysFor(Products, change));
    }

    [Fact]
    public void CollectKeys_DeleteCarryingOnlyTheKey_RendersOnlyTemplatesTheKeyFills()
    {
        // REPLICA IDENTITY DEFAULT: no old row, only the primary key.
        var change = Change("products", RowOperation.Delete) with { Key = Rows.Of(("id", "42")) };

        Assert.Equal(["product:42"], KeysFor(Products, change));
    }

    [Fact]
    public void CollectKeys_UpdateWithUnchangedToastColumn_TakesItsValueFromTheOldRow()
    {
        var rules = For(("pages", ["page:{site_id}:{path}"]));
        var change = Change("pages", RowOperation.Update) with
        {
            Key = Rows.Of(("id", "5")),
            OldValues = Rows.Of(("id", "5"), ("site_id", "1"), ("path", "/docs/replication")),
            NewValues = Rows.Of(("id", "5"), ("site_id", "2")),
            UnchangedToastColumns = ["path"],
        };

        Assert.Equal(["page:1:/docs/replication", "page:2:/docs/replication"], KeysFor(rules, change));
    }

    [Fact]
    public void CollectKeys_Truncate_YieldsOnlyTemplatesThatNeedNoColumn()
    {
        // A truncate names no row: templates with placeholders cannot be filled, constant ones fire.
        var rules = For(("products", ["product:{id}", "product-list:featured"]));

        Assert.Equal(["product-list:featured"], KeysFor(rules, Change("products", RowOperation.Truncate)));
    }
}
