using System.Text.Json;
using System.Text.Json.Nodes;
using CacheBus.Contracts;
using MassTransit;
using MassTransit.Serialization;

namespace CacheBus.UnitTests.Contracts;

/// <summary>Wire names other languages rely on, as MassTransit's own serializer settings write them.</summary>
public sealed class WireFormatTests
{
    [Fact]
    public void MessageUrn_RowsChanged_IsTheVersionedWireName()
    {
        Assert.Equal("urn:message:cachebus:rows-changed:v1", MessageUrn.ForTypeString<RowsChanged>());
    }

    [Fact]
    public void Serialize_ColumnNames_KeepTheirSpelling()
    {
        string[] columns = ["category_id", "PaymentRef", "SKU", "displayName"];
        var change = new RowChange
        {
            Schema = "public",
            Table = "products",
            Operation = RowOperation.Insert,
            NewValues = columns.ToDictionary(c => c, string? (c) => "1", StringComparer.Ordinal),
            CommitLsn = "0/1",
            CommitTime = DateTimeOffset.UnixEpoch,
            TransactionId = 1,
        };

        var json = JsonNode.Parse(JsonSerializer.Serialize(change, SystemTextJsonMessageSerializer.Options))!;

        Assert.Equal(columns, json["newValues"]!.AsObject().Select(column => column.Key));
    }

    [Theory]
    [InlineData(RowOperation.Insert, "insert")]
    [InlineData(RowOperation.Update, "update")]
    [InlineData(RowOperation.Delete, "delete")]
    [InlineData(RowOperation.Truncate, "truncate")]
    public void Serialize_Operation_IsALowerCaseWord(RowOperation operation, string expected)
    {
        var json = JsonSerializer.Serialize(operation, SystemTextJsonMessageSerializer.Options);

        Assert.Equal($"\"{expected}\"", json);
    }
}
