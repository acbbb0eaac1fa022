using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheBus.Service.Memcached;

/// <summary>
/// One TCP connection to a memcached node, used by one operation at a time. Any failure leaves it in an unknown
/// state (a half-read response, a value memcached is still swallowing), so callers discard it rather than reuse it.
/// </summary>
internal sealed class MemcachedConnection : IAsyncDisposable
{
    // Meta response lines are short; a longer one means the stream is not what we think it is.
    private const int MaxLineLength = 8 * 1024;

    private static readonly byte[] NewLine = "\r\n"u8.ToArray();

    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;

    private MemcachedConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
    }

    public static async Task<MemcachedConnection> OpenAsync(
        MemcachedEndpoint endpoint, TimeSpan connectTimeout, TimeProvider time, CancellationToken cancellationToken)
    {
        using var timeout = new CancellationTokenSource(connectTimeout, time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(new DnsEndPoint(endpoint.Host, endpoint.Port), linked.Token);
            return new MemcachedConnection(socket);
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            socket.Dispose();
            throw new TimeoutException($"Connecting to memcached at {endpoint} took longer than {connectTimeout.TotalMilliseconds:0} ms.");
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    /// <summary>
    /// False when an idle connection has become readable: memcached never speaks unasked, so that is the FIN (or
    /// reset) of a node that stopped or restarted since the connection was last used, or stray bytes.
    /// </summary>
    public bool LooksIdle()
    {
        try
        {
            return !_socket.Poll(TimeSpan.Zero, SelectMode.SelectRead);
        }
        catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
        {
            return false;
        }
    }

    public ValueTask SendAsync(string lines, CancellationToken cancellationToken) =>
        _stream.WriteAsync(Encoding.UTF8.GetBytes(lines), cancellationToken);

    /// <summary>A command line followed by its data block, in one write.</summary>
    public ValueTask SendAsync(string line, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        var request = new byte[Encoding.UTF8.GetByteCount(line) + data.Length + NewLine.Length];
        var written = Encoding.UTF8.GetBytes(line, request);
        data.Span.CopyTo(request.AsSpan(written));
        NewLine.CopyTo(request.AsSpan(written + data.Length));
        return _stream.WriteAsync(request, cancellationToken);
    }

    public async Task<MetaResponse> ReadResponseAsync(CancellationToken cancellationToken) =>
        MetaResponse.Parse(await ReadLineAsync(cancellationToken));

    /// <summary>The data block after a <c>VA &lt;length&gt;</c> line.</summary>
    public async Task<byte[]> ReadValueAsync(int length, CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.Length >= length + NewLine.Length)
            {
                var value = buffer.Slice(0, length).ToArray();
                if (!buffer.Slice(length, NewLine.Length).ToArray().AsSpan().SequenceEqual(NewLine))
                {
                    throw new MemcachedException($"memcached sent a value block of {length} bytes not followed by \\r\\n.");
                }

                _reader.AdvanceTo(buffer.GetPosition(length + NewLine.Length));
                return value;
            }

            ThrowIfClosed(result);
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _reader.CompleteAsync();
        await _stream.DisposeAsync();
    }

    private async Task<string> ReadLineAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            var result = await _reader.ReadAsync(cancellationToken);
            var buffer = result.Buffer;
            if (buffer.PositionOf((byte)'\n') is { } end)
            {
                var line = Encoding.UTF8.GetString(buffer.Slice(0, end)).TrimEnd('\r');
                _reader.AdvanceTo(buffer.GetPosition(1, end));
                return line;
            }

            if (buffer.Length > MaxLineLength)
            {
                throw new MemcachedException($"memcached sent a response line longer than {MaxLineLength} bytes.");
            }

            ThrowIfClosed(result);
            _reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    // An IOException, like a reset: the client treats both as a lost connection.
    private static void ThrowIfClosed(ReadResult result)
    {
        if (result.IsCompleted)
        {
            throw new IOException("memcached closed the connection.");
        }
    }
}
