using MassTransit;

namespace CacheBus.UnitTests.Contracts;

/// <summary>The message a golden sample must carry, and how to take it out of MassTransit's deserializer.</summary>
internal sealed record ContractSample(Type MessageType, object Message, Func<SerializerContext, object?> ReadMessage)
{
    public static ContractSample Of<T>(T message)
        where T : class =>
        new(typeof(T), message, context => context.TryGetMessage<T>(out var read) ? read : null);
}
