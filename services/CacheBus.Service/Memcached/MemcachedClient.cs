using System.Net.Sockets;

namespace CacheBus.Service.Memcached;

/// <summary>
/// A small client for memcached's meta protocol, enough to refresh or revoke what Django keeps in memcached.
/// Single-key operations go to the node Django's PyMemcacheCache reads the key from (<see cref="RendezvousHash"/>,
/// pymemcache's HashClient), so the servers must be named as in Django's LOCATION, in any order.
/// <see cref="DeleteManyAsync"/> and <see cref="TouchManyAsync"/> reach every node.
/// </summary>
/// <remarks>
/// <para>
/// When a node fails, pymemcache's HashClient (in each Django process on its own) raises (Django leaves
/// <c>ignore_exc</c> off), answers misses for a while, and after <c>retry_attempts</c> failures (2, 1 s apart) takes the
/// node out of its hash for <c>dead_timeout</c> (60 s), reading and filling that node's keys on the others meanwhile.
/// CacheBus does not follow: a key's node is always picked among all configured nodes, the one every Django process
/// reads again once the node is back. A write to a node that is down fails and the message is retried, never
/// redirected. Copies a Django process stored elsewhere meanwhile are reached by the batches (every node) and by
/// <see cref="DeleteFromOtherNodesAsync"/>.
/// </para>
/// <para>
/// Every operation is bounded by <see cref="MemcachedClientOptions.OperationTimeout"/> (a <see cref="TimeoutException"/>,
/// never a hang). A connection that saw an error or a timeout is closed, not pooled. After a node restarts, its idle
/// connections are noticed when rented (they turned readable with its FIN); one that dies in the instant between that
/// check and the write is replayed once on a fresh connection, if the command is idempotent (no CAS).
/// </para>
/// </remarks>
internal sealed class MemcachedClient : IAsyncDisposable
{
    private readonly MemcachedClientOptions _options;
    private readonly TimeProvider _time;
    private readonly MemcachedConnectionPool[] _pools;
    private readonly RendezvousHash _nodes;
    private volatile bool _disposed;

    public MemcachedClient(MemcachedClientOptions options, TimeProvider time)
    {
        var validation = new MemcachedClientOptionsValidator().Validate(null, options);
        if (validation.Failed)
        {
            throw new ArgumentException(validation.FailureMessage, nameof(options));
        }

        _options = options;
        _time = time;
        _pools = [.. options.Servers.Select(server => new MemcachedConnectionPool(
            MemcachedEndpoint.TryParse(server, out var endpoint) ? endpoint : throw new ArgumentException(server, nameof(options)),
            options.PoolSizePerServer,
            options.ConnectTimeout,
            time))];
        _nodes = new RendezvousHash([.. _pools.Select(pool => pool.Endpoint.NodeName)]);
    }

    /// <summary>The node Django's client reads and writes <paramref name="key"/> on.</summary>
    public MemcachedEndpoint NodeOf(string key) => PoolOf(key).Endpoint;

    /// <summary>The value with its client flags, CAS and remaining TTL, or null on a miss.</summary>
    public async Task<MemcachedItem?> GetAsync(string key, CancellationToken cancellationToken = default)
    {
        MemcachedKey.Validate(key, nameof(key));
        return await ExecuteAsync<MemcachedItem?>(PoolOf(key), replayable: true, async (connection, token) =>
        {
            await connection.SendAsync(MetaCommands.Get(key), token);
            var response = await connection.ReadResponseAsync(token);
            return response.Status switch
            {
                MetaStatus.Miss => null,
                MetaStatus.Value => new MemcachedItem(
                    await connection.ReadValueAsync(response.ValueLength, token),
                    response.ClientFlags ?? 0,
                    response.Cas ?? 0,
                    MemcachedExpiration.FromRemaining(response.Ttl)),
                _ => throw Unexpected(response, "mg"),
            };
        }, cancellationToken);
    }

    /// <summary>Stores a value; with <paramref name="cas"/>, only over the item of that CAS. A zero TTL never expires.</summary>
    public Task<MemcachedSetResult> SetAsync(
        string key, ReadOnlyMemory<byte> value, uint flags, TimeSpan ttl, ulong? cas = null, CancellationToken cancellationToken = default) =>
        StoreAsync(key, value, length => MetaCommands.Set(key, length, flags, MemcachedExpiration.ToToken(ttl, _time), cas), replayable: cas is null, cancellationToken);

    /// <summary>Stores a value only if the key is absent (<see cref="MemcachedSetResult.NotStored"/> otherwise).</summary>
    public Task<MemcachedSetResult> AddAsync(
        string key, ReadOnlyMemory<byte> value, uint flags, TimeSpan ttl, CancellationToken cancellationToken = default) =>
        StoreAsync(key, value, length => MetaCommands.Add(key, length, flags, MemcachedExpiration.ToToken(ttl, _time)), replayable: false, cancellationToken);

    public Task<MemcachedDeleteResult> DeleteAsync(string key, ulong? cas = null, CancellationToken cancellationToken = default)
    {
        MemcachedKey.Validate(key, nameof(key));
        return DeleteAsync(PoolOf(key), key, cas, cancellationToken);
    }

    /// <summary>
    /// Deletes the key on every node but its own and tells how many had it: copies a Django process stored while its
    /// HashClient counted the key's node dead, which it would read again the next time it does.
    /// </summary>
    public async Task<int> DeleteFromOtherNodesAsync(string key, CancellationToken cancellationToken = default)
    {
        MemcachedKey.Validate(key, nameof(key));
        var own = PoolOf(key);
        var results = await Task.WhenAll(_pools.Where(pool => pool != own).Select(pool => DeleteAsync(pool, key, cas: null, cancellationToken)));
        return results.Count(result => result == MemcachedDeleteResult.Deleted);
    }

    private Task<MemcachedDeleteResult> DeleteAsync(MemcachedConnectionPool pool, string key, ulong? cas, CancellationToken cancellationToken) =>
        ExecuteAsync(pool, replayable: cas is null, async (connection, token) =>
        {
            await connection.SendAsync(MetaCommands.Delete(key, cas), token);
            var response = await connection.ReadResponseAsync(token);
            return response.Status switch
            {
                MetaStatus.Done => MemcachedDeleteResult.Deleted,
                MetaStatus.NotFound => MemcachedDeleteResult.NotFound,
                MetaStatus.Exists => MemcachedDeleteResult.Exists,
                _ => throw Unexpected(response, "md"),
            };
        }, cancellationToken);

    /// <summary>Sets a new TTL on an item; false when there is no such item.</summary>
    public async Task<bool> TouchAsync(string key, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        MemcachedKey.Validate(key, nameof(key));
        var command = MetaCommands.Touch(key, MemcachedExpiration.ToToken(ttl, _time));
        return await ExecuteAsync(PoolOf(key), replayable: true, async (connection, token) =>
        {
            await connection.SendAsync(command, token);
            var response = await connection.ReadResponseAsync(token);
            return response.Status switch
            {
                MetaStatus.Done => true,
                MetaStatus.Miss => false,
                _ => throw Unexpected(response, "mg"),
            };
        }, cancellationToken);
    }

    // The batches reach every node rather than each key's own: that also reaches the copies a Django process stored on
    // another node while it counted the key's node dead. A revoked session must go from there too; and a session only
    // such a copy holds must not count as missed by a touch, or it would leave the registry and escape a later revoke.
    // It costs one pipelined round trip per node and chunk, not one per key.

    /// <summary>Deletes the keys on every node; <see cref="MemcachedBatchResult.Missed"/> lists those no node had.</summary>
    public Task<MemcachedBatchResult> DeleteManyAsync(IEnumerable<string> keys, CancellationToken cancellationToken = default) =>
        OnEveryServerAsync(keys, MetaCommands.QuietDelete, MetaStatus.NotFound, missedWhenAnswered: true, cancellationToken);

    /// <summary>Sets a new TTL on the keys on every node; <see cref="MemcachedBatchResult.Missed"/> lists those no node had.</summary>
    public async Task<MemcachedBatchResult> TouchManyAsync(IEnumerable<string> keys, TimeSpan ttl, CancellationToken cancellationToken = default)
    {
        var expiration = MemcachedExpiration.ToToken(ttl, _time);
        return await OnEveryServerAsync(
            keys, (key, opaque) => MetaCommands.QuietTouch(key, expiration, opaque), MetaStatus.Done, missedWhenAnswered: false, cancellationToken);
    }

    // Replaying a CAS set or an add that did land the first time would report Exists or NotStored: only a plain set is replayed.
    private async Task<MemcachedSetResult> StoreAsync(
        string key, ReadOnlyMemory<byte> value, Func<int, string> header, bool replayable, CancellationToken cancellationToken)
    {
        MemcachedKey.Validate(key, nameof(key));
        if (value.Length > _options.MaxValueSize)
        {
            throw new ArgumentException(
                $"The value for '{key}' is {value.Length} bytes; {MemcachedClientOptions.Section}:MaxValueSize allows at most {_options.MaxValueSize}.",
                nameof(value));
        }

        var line = header(value.Length);
        return await ExecuteAsync(PoolOf(key), replayable, async (connection, token) =>
        {
            await connection.SendAsync(line, value, token);
            var response = await connection.ReadResponseAsync(token);
            return response.Status switch
            {
                MetaStatus.Done => MemcachedSetResult.Stored,
                MetaStatus.NotStored => MemcachedSetResult.NotStored,
                MetaStatus.Exists => MemcachedSetResult.Exists,
                MetaStatus.NotFound => MemcachedSetResult.NotFound,
                _ => throw Unexpected(response, "ms"),
            };
        }, cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        _disposed = true;
        foreach (var pool in _pools)
        {
            await pool.DisposeAsync();
        }
    }

    private MemcachedConnectionPool PoolOf(string key) => _pools[_nodes.Pick(key)];

    private async Task<MemcachedBatchResult> OnEveryServerAsync(
        IEnumerable<string> keys, Func<string, int, string> command, MetaStatus answer, bool missedWhenAnswered, CancellationToken cancellationToken)
    {
        var distinct = keys.Distinct(StringComparer.Ordinal).ToList();
        foreach (var key in distinct)
        {
            MemcachedKey.Validate(key, nameof(keys));
        }

        var chunks = distinct.Chunk(MetaPipeline.ChunkSize).ToList();
        var missedPerServer = await Task.WhenAll(_pools.Select(async pool =>
        {
            var missed = new List<bool>(distinct.Count);
            foreach (var chunk in chunks)
            {
                var request = MetaPipeline.Request(chunk, command);

                // Deleting or touching twice is harmless, so a chunk may be replayed; a replayed delete then reports
                // a key it did delete the first time as missed.
                var answered = await ExecuteAsync(pool, replayable: true, async (connection, token) =>
                {
                    await connection.SendAsync(request, token);
                    return await MetaPipeline.ReadAnswersAsync(connection, chunk.Length, answer, token);
                }, cancellationToken);
                missed.AddRange(answered.Select(a => a == missedWhenAnswered));
            }

            return missed;
        }));

        return new MemcachedBatchResult(distinct.Count, [.. distinct.Where((_, i) => missedPerServer.All(missed => missed[i]))]);
    }

    private async Task<T> ExecuteAsync<T>(
        MemcachedConnectionPool pool, bool replayable, Func<MemcachedConnection, CancellationToken, Task<T>> operation, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        using var timeout = new CancellationTokenSource(_options.OperationTimeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            for (var attempt = 1; ; attempt++)
            {
                var (connection, reused) = await pool.RentAsync(linked.Token);
                try
                {
                    var result = await operation(connection, linked.Token);
                    await pool.ReturnAsync(connection);
                    return result;
                }
                catch (Exception ex) when (IsConnectionLost(ex) && reused && replayable && attempt == 1)
                {
                    // Looked alive when rented, died with the request on the wire: most likely a node that restarted
                    // just then, so once more on a new connection, within the same deadline.
                    await pool.DiscardAsync(connection, connectionLost: true);
                }
                catch (Exception ex)
                {
                    await pool.DiscardAsync(connection, IsConnectionLost(ex));
                    throw;
                }
            }
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException(
                $"memcached at {pool.Endpoint} did not answer within {_options.OperationTimeout.TotalMilliseconds:0} ms.");
        }
        catch (Exception ex) when (IsConnectionLost(ex))
        {
            throw new MemcachedException($"Connection to memcached at {pool.Endpoint} failed: {ex.Message}", ex);
        }
    }

    private static bool IsConnectionLost(Exception exception) => exception is IOException or SocketException;

    private static MemcachedException Unexpected(MetaResponse response, string command) =>
        new($"Unexpected answer {response.Status} to {command}.");
}
