using System.Text.Json;
using System.Text.Json.Nodes;
using MassTransit;
using MassTransit.Serialization;

namespace CacheBus.UnitTests.Contracts;

public sealed class ContractSampleTests
{
    [Fact]
    public void SamplesDirectory_EveryJsonFile_HasAnExpectedMessage()
    {
        var directory = RepositoryFiles.SamplesDirectory;
        var files = Directory.GetFiles(directory, "*.json", SearchOption.AllDirectories)
            .Select(path => Path.GetRelativePath(directory, path).Replace(Path.DirectorySeparatorChar, '/'));

        Assert.Equal(ContractSamples.ByFile.Keys.Order(StringComparer.Ordinal), files.Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(ContractSamples.Files), MemberType = typeof(ContractSamples))]
    public void Deserialize_SampleEnvelope_YieldsTheExpectedMessage(string file)
    {
        var sample = ContractSamples.ByFile[file];

        var message = sample.ReadMessage(Deserialize(file));

        Assert.Equivalent(sample.Message, message, strict: true);
    }

    [Theory]
    [MemberData(nameof(ContractSamples.Files), MemberType = typeof(ContractSamples))]
    public void Deserialize_SampleEnvelope_CarriesTheEnvelopeFields(string file)
    {
        var context = Deserialize(file);

        Assert.NotNull(context.MessageId);
        Assert.NotNull(context.ConversationId);
        Assert.NotNull(context.SourceAddress);
        Assert.NotNull(context.DestinationAddress);
        Assert.NotNull(context.SentTime);
        Assert.NotNull(context.Host?.MassTransitVersion);
    }

    [Theory]
    [MemberData(nameof(ContractSamples.Files), MemberType = typeof(ContractSamples))]
    public void Serialize_ExpectedMessage_EqualsTheSampleMessage(string file)
    {
        var sample = ContractSamples.ByFile[file];
        var inSample = ContractSamples.ReadEnvelope(file)["message"];

        // Parsed from text, not SerializeToNode: nodes built with these options compare property names ignoring case.
        var serialized = JsonNode.Parse(JsonSerializer.Serialize(sample.Message, sample.MessageType, SystemTextJsonMessageSerializer.Options));

        Assert.True(JsonNode.DeepEquals(inSample, serialized), $"The sample's message:\n{inSample}\nThe expected message, serialized:\n{serialized}");
    }

    [Theory]
    [MemberData(nameof(ContractSamples.Files), MemberType = typeof(ContractSamples))]
    public void MessageType_SampleEnvelope_IsTheUrnMassTransitComputes(string file)
    {
        var sample = ContractSamples.ByFile[file];

        var messageTypes = ContractSamples.ReadEnvelope(file)["messageType"]!.AsArray().Select(urn => urn!.GetValue<string>());

        Assert.Equal(MessageTypeCache.GetMessageTypeNames(sample.MessageType), messageTypes);
    }

    private static SerializerContext Deserialize(string file) =>
        SystemTextJsonMessageSerializer.Instance.Deserialize(new StringMessageBody(ContractSamples.ReadText(file)), EmptyHeaders.Instance);
}
