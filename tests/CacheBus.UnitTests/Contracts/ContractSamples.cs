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
    };

    public static TheoryData<string> Files => [.. ByFile.Keys];

    public static string ReadText(string file) => File.ReadAllText(Path.Combine(RepositoryFiles.SamplesDirectory, file));

    public static JsonObject ReadEnvelope(string file) => JsonNode.Parse(ReadText(file))!.AsObject();
}
