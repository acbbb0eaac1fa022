using CacheBus.Service.Rules;

namespace CacheBus.UnitTests.Rules;

public sealed class KeyTemplateTests
{
    [Fact]
    public void Parse_Placeholders_ListsTheirColumnsInOrder()
    {
        var template = KeyTemplate.Parse("order:{user_id}:{id}");

        Assert.Equal(["user_id", "id"], template.Columns);
    }

    [Fact]
    public void Render_EveryColumnPresent_FillsThePlaceholders()
    {
        var template = KeyTemplate.Parse("order:{user_id}:{id}");

        var key = template.Render(Rows.Of(("id", "90311"), ("user_id", "1017")));

        Assert.Equal("order:1017:90311", key);
    }

    [Fact]
    public void Render_NoPlaceholders_ReturnsTheText()
    {
        var template = KeyTemplate.Parse("catalogue:index");

        Assert.Equal("catalogue:index", template.Render(Rows.Of()));
    }

    [Fact]
    public void Render_DoubledBraces_WritesLiteralBraces()
    {
        var template = KeyTemplate.Parse("{{tag}}:{id}:}}");

        Assert.Equal("{tag}:42:}", template.Render(Rows.Of(("id", "42"))));
    }

    [Fact]
    public void Render_ColumnMissing_ReturnsNull()
    {
        var template = KeyTemplate.Parse("product-list:category:{category_id}");

        Assert.Null(template.Render(Rows.Of(("id", "42"))));
    }

    [Fact]
    public void Render_ColumnIsSqlNull_ReturnsNull()
    {
        var template = KeyTemplate.Parse("product-list:category:{category_id}");

        Assert.Null(template.Render(Rows.Of(("id", "42"), ("category_id", null))));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("  \t")]
    public void Parse_EmptyOrWhitespace_ThrowsSayingItIsEmpty(string? text)
    {
        var error = Assert.Throws<FormatException>(() => KeyTemplate.Parse(text));

        Assert.Equal("the template is empty", error.Message);
    }

    [Fact]
    public void Parse_UnclosedBrace_ThrowsNamingItsPosition()
    {
        var error = Assert.Throws<FormatException>(() => KeyTemplate.Parse("product:{id"));

        Assert.Equal("'{' at position 8 is never closed", error.Message);
    }

    [Theory]
    [InlineData("product:{}", "'{}' at position 8 does not name a column")]
    [InlineData("product:{ id }", "'{ id }' at position 8 does not name a column")]
    public void Parse_PlaceholderWithoutColumnName_ThrowsNamingIt(string text, string message)
    {
        var error = Assert.Throws<FormatException>(() => KeyTemplate.Parse(text));

        Assert.Equal(message, error.Message);
    }

    [Fact]
    public void Parse_StrayClosingBrace_ThrowsSuggestingTheEscape()
    {
        var error = Assert.Throws<FormatException>(() => KeyTemplate.Parse("product:id}"));

        Assert.Equal("'}' at position 10 has no opening '{' (write '}}' for a literal brace)", error.Message);
    }
}
