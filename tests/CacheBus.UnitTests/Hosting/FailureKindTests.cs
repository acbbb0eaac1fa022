using System.Net.Sockets;
using CacheBus.Service;
using CacheBus.Service.Memcached;
using Npgsql;
using StackExchange.Redis;

namespace CacheBus.UnitTests.Hosting;

public sealed class FailureKindTests
{
    public static TheoryData<Exception> Heal =>
    [
        new RedisTimeoutException(CommandFlags.None, "Timeout awaiting response", CommandStatus.Sent), // a TimeoutException, not a RedisException
        new RedisConnectionException(ConnectionFailureType.SocketFailure, CommandFlags.None, "No connection is active", null, CommandStatus.Unknown),
        new TimeoutException(),
        new HttpIOException(HttpRequestError.ResponseEnded), // a fragment body cut off mid-way
        new HttpRequestException("Connection refused"),
        new SocketException((int)SocketError.ConnectionRefused),
        new IOException("memcached closed the connection"),
        new MemcachedException("could not reach 127.0.0.1:11211"),
        new NpgsqlException("Exception while reading from stream", new TimeoutException()),
        new PostgresException("terminating connection due to administrator command", "FATAL", "FATAL", PostgresErrorCodes.AdminShutdown),
        new TaskCanceledException("a call's own timeout"),
        new AggregateException(new TimeoutException(), new SocketException()),
    ];

    public static TheoryData<Exception> NeverHeal =>
    [
        new InvalidDataException("not a RowsChanged message"),
        new PostgresException("permission denied for table products", "ERROR", "ERROR", PostgresErrorCodes.InsufficientPrivilege),
        new InvalidOperationException("a bug"),
        new KeyNotFoundException("a bug"),
        new AggregateException(new TimeoutException(), new InvalidOperationException()),
    ];

    [Theory]
    [MemberData(nameof(Heal))]
    public void IsTransient_ServerAwaySlowOrCutOff_IsTrue(Exception exception) =>
        Assert.True(FailureKind.IsTransient(exception));

    [Theory]
    [MemberData(nameof(NeverHeal))]
    public void IsTransient_WrongInputOrBug_IsFalse(Exception exception) =>
        Assert.False(FailureKind.IsTransient(exception));

    [Fact]
    public void IsPermanent_UnreadableMessage_IsTrueSoTheConsumerSendsItToTheErrorQueueAtOnce()
    {
        Assert.True(FailureKind.IsPermanent(new InvalidDataException()));
        Assert.False(FailureKind.IsPermanent(new RedisTimeoutException(CommandFlags.None, "Timeout", CommandStatus.Sent)));
    }
}
