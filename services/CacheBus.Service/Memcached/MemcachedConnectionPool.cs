using System.Collections.Concurrent;

namespace CacheBus.Service.Memcached;

/// <summary>At most <c>size</c> connections to one node; idle ones are reused, most recently used first.</summary>
internal sealed class MemcachedConnectionPool(MemcachedEndpoint endpoint, int size, TimeSpan connectTimeout, TimeProvider time)
    : IAsyncDisposable
{
    private readonly SemaphoreSlim _slots = new(size, size);
    private readonly ConcurrentStack<MemcachedConnection> _idle = new();
    private volatile bool _disposed;

    public MemcachedEndpoint Endpoint => endpoint;

    /// <summary>A connection and whether it had served before (only such a one can have gone stale unseen).</summary>
    public async Task<(MemcachedConnection Connection, bool Reused)> RentAsync(CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        await _slots.WaitAsync(cancellationToken);
        try
        {
            while (_idle.TryPop(out var connection))
            {
                if (connection.LooksIdle())
                {
                    return (connection, true);
                }

                await connection.DisposeAsync();
            }

            return (await MemcachedConnection.OpenAsync(endpoint, connectTimeout, time, cancellationToken), false);
        }
        catch
        {
            _slots.Release();
            throw;
        }
    }

    public async ValueTask ReturnAsync(MemcachedConnection connection)
    {
        _idle.Push(connection);
        _slots.Release();
        if (_disposed)
        {
            await DrainIdleAsync();
        }
    }

    /// <summary>
    /// Closes a connection that failed. When the connection itself was lost, the idle ones were opened to the same
    /// memcached process and are most likely lost too: they go as well.
    /// </summary>
    public async ValueTask DiscardAsync(MemcachedConnection connection, bool connectionLost)
    {
        await connection.DisposeAsync();
        _slots.Release();
        if (connectionLost)
        {
            await DrainIdleAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        await DrainIdleAsync();
    }

    private async ValueTask DrainIdleAsync()
    {
        while (_idle.TryPop(out var connection))
        {
            await connection.DisposeAsync();
        }
    }
}
