using System.Net.Sockets;
using CacheBus.Service.Memcached;
using Npgsql;
using StackExchange.Redis;

namespace CacheBus.Service;

/// <summary>The one answer, for consumers and background loops alike, to "can the same call succeed later?".</summary>
internal static class FailureKind
{
    /// <summary>
    /// Never heals by trying again: the input itself is wrong. A consumer sends the message to its _error queue at
    /// once (<see cref="RetryPolicy"/>); a background loop stops the host (<see cref="BackgroundLoop"/>).
    /// </summary>
    public static bool IsPermanent(Exception exception) => exception is InvalidDataException;

    /// <summary>A server away, slow, restarting, or cut off mid-answer: the call can succeed once it is back.</summary>
    public static bool IsTransient(Exception exception) => exception switch
    {
        _ when IsPermanent(exception) => false,

        // RedisTimeoutException is a TimeoutException, not a RedisException; RedisConnectionException is one.
        RedisException or TimeoutException => true,

        // HttpIOException (a body cut off) is an IOException; MemcachedException covers an unreachable node.
        IOException or SocketException or HttpRequestException or MemcachedException => true,
        NpgsqlException npgsql => npgsql.IsTransient,

        // A timeout of the call's own; a caller checks its stopping token before asking.
        OperationCanceledException => true,
        AggregateException aggregate => aggregate.InnerExceptions.All(IsTransient),
        _ => false,
    };
}
