using System.Text.Json.Nodes;

namespace CacheBus.UnitTests.Contracts;

/// <summary>
/// The golden envelopes in <c>contracts/samples</c>, by file name. Non-.NET peers test against the same files, so a sample
/// that no .NET test checks could drift from the contract unnoticed: every file needs an entry here, or a test fails.
/// </summary>
internal static class ContractSamples
{
    public static IReadOnlyDictionary<string, ContractSample> ByFile { get; } = new Dictionary<string, ContractSample>(StringComparer.Ordinal)
    {
        ["rows-changed.json"] = ContractSample.Of(RowsChangedSample.Message),
        ["invalidation-requested.json"] = ContractSample.Of(new CacheBus.Contracts.InvalidationRequested
        {
            Keys = [":1:stats:category:7"],
            Tags = [":1:tag:category:7"],
            Namespaces = [":1:ns:product-list:7"],
            RevokeSessionsOf = ["42"],
            CommitLsn = "0/16B3A10",
        }),
        ["keys-invalidated.json"] = ContractSample.Of(new CacheBus.Contracts.KeysInvalidated
        {
            Keys = [":1:product:42", ":1:product-list:category:7", ":1:views.decorators.cache.cache_header..6f8cbbc2714e0d5b6d3906790a4e21a8.en-us.UTC"],
            Tags = [":1:tag:category:7"],
            Namespaces = [":1:ns:product-list:7"],
            CommitLsn = "0/16B3A10",
            CommitTime = CommitTime,
            NewestCommitTime = CommitTime.AddMilliseconds(7),
            Changes = 3,
        }),
        ["sessions-changed.json"] = ContractSample.Of(new CacheBus.Contracts.SessionsChanged
        {
            Users =
            [
                new() { UserId = "42", Snapshot = new Dictionary<string, string?> { ["display_name"] = "Ada & Co", ["bio"] = null }, CommitLsn = "0/16B3A10", Position = 0 },
                new() { UserId = "43", Revoke = true, CommitLsn = "0/16B3A10", Position = 1 },
            ],
            CommitLsn = "0/16B3A10",
            CommitTime = CommitTime,
            Changes = 2,
        }),
        ["fragments-to-warm.json"] = ContractSample.Of(new CacheBus.Contracts.FragmentsToWarm
        {
            Fragments =
            [
                new()
                {
                    Name = "product_card",
                    VaryOn = ["42"],
                    Key = ":1:template.cache.product_card.a1d0c6e83f027327d8461063f4ac58a6",
                    Url = "http://shop.example.com/cachebus/fragments/product_card/?vary=42",
                },
            ],
            CommitLsn = "0/16B3A10",
            CommitTime = CommitTime,
            Changes = 1,
        }),
    };

    private static DateTimeOffset CommitTime => DateTimeOffset.Parse("2025-11-28T13:52:07.512Z", System.Globalization.CultureInfo.InvariantCulture);

    public static TheoryData<string> Files => [.. ByFile.Keys];

    public static string ReadText(string file) => File.ReadAllText(Path.Combine(RepositoryFiles.SamplesDirectory, file));

    public static JsonObject ReadEnvelope(string file) => JsonNode.Parse(ReadText(file))!.AsObject();
}
