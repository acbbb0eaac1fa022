using System.Text.Json;
using CacheBus.Contracts;
using MassTransit.Serialization;

namespace CacheBus.UnitTests.Contracts;

/// <summary>Row values as MassTransit's serializer settings write and read them through the contract's converter.</summary>
public sealed class ColumnValuesJsonConverterTests
{
    private const string Change = """
        {"schema":"public","table":"profiles","operation":"update","key":{"user_id":"7"},
         "oldValues":VALUES,"newValues":{"user_id":"7"},"commitLsn":"0/1","commitTime":"2026-01-01T00:00:00+00:00","transactionId":1}
        """;

    [Fact]
    public void RoundTrip_KeepsNullsEscapesAndColumnsThatDifferOnlyInCase()
    {
        var change = new RowChange
        {
            Schema = "public",
            Table = "profiles",
            Operation = RowOperation.Update,
            Key = Rows.Of(("user_id", "7")),
            OldValues = Rows.Of(("user_id", "7"), ("display_name", "Zoë \"Z\" O'Neil\n"), ("Display_Name", "other"), ("password_hash", null)),
            NewValues = Rows.Of(("user_id", "7"), ("display_name", "")),
            CommitLsn = "0/1",
            CommitTime = DateTimeOffset.UnixEpoch,
            TransactionId = 1,
        };

        var read = JsonSerializer.Deserialize<RowChange>(JsonSerializer.Serialize(change, SystemTextJsonMessageSerializer.Options), SystemTextJsonMessageSerializer.Options)!;

        Assert.Equal(change.OldValues, read.OldValues);
        Assert.Equal(change.NewValues, read.NewValues);
        Assert.Null(read.OldValues!["password_hash"]);
        Assert.Equal("other", read.OldValues["Display_Name"]);
        Assert.False(read.Key.ContainsKey("USER_ID"));
    }

    [Fact]
    public void Read_NullRow_IsNull()
    {
        var read = JsonSerializer.Deserialize<RowChange>(Change.Replace("VALUES", "null", StringComparison.Ordinal), SystemTextJsonMessageSerializer.Options)!;

        Assert.Null(read.OldValues);
        Assert.Equal("7", read.NewValues!["user_id"]);
    }

    [Theory]
    [InlineData("""{"user_id":7}""", "the value of column \"user_id\" must be a string or null, not Number")]
    [InlineData("""{"user_id":["7"]}""", "the value of column \"user_id\" must be a string or null, not StartArray")]
    [InlineData("""["7"]""", "column values must be a JSON object, not StartArray")]
    [InlineData("\"7\"", "column values must be a JSON object, not String")]
    public void Read_ValuesThatAreNotStringsOrNull_FailWithTheColumn(string values, string error)
    {
        var json = Change.Replace("VALUES", values, StringComparison.Ordinal);

        var thrown = Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<RowChange>(json, SystemTextJsonMessageSerializer.Options));

        Assert.Contains(error, thrown.Message, StringComparison.Ordinal);
    }
}
