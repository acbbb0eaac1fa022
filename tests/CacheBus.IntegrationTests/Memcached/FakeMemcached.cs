using System.Net;
using System.Net.Sockets;
using System.Text;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// A TCP server on loopback for the faults a real memcached will not produce on demand: each request line gets the
/// answer a script picks from (connection number, request number on that connection), counting from 0.
/// </summary>
internal sealed class FakeMemcached : IAsyncDisposable
{
    /// <summary>Read the request, answer nothing: a server that never replies.</summary>
    public const string Silence = "";

    private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
    private readonly Func<int, int, string?> _answer;
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _accepting;
    private readonly List<TcpClient> _clients = [];
    private int _accepted;

    /// <param name="answer">The bytes to send; <see cref="Silence"/> for none; null to close the connection.</param>
    public FakeMemcached(Func<int, int, string?> answer)
    {
        _answer = answer;
        _listener.Start();
        _accepting = AcceptAsync();
    }

    public string Address => $"127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";

    public int Accepted => Volatile.Read(ref _accepted);

    /// <summary>Closes every accepted connection, as a node that stops does.</summary>
    public void DropConnections()
    {
        lock (_clients)
        {
            _clients.ForEach(client => client.Dispose());
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _listener.Stop();
        await _accepting;
        _stop.Dispose();
    }

    private async Task AcceptAsync()
    {
        var connections = new List<Task>();
        try
        {
            while (true)
            {
                var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                lock (_clients)
                {
                    _clients.Add(client);
                }

                connections.Add(ServeAsync(client, Interlocked.Increment(ref _accepted) - 1));
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or SocketException or ObjectDisposedException)
        {
            // stopped
        }

        await Task.WhenAll(connections);
    }

    private async Task ServeAsync(TcpClient client, int connection)
    {
        using (client)
        {
            try
            {
                var stream = client.GetStream();
                using var reader = new StreamReader(stream, Encoding.ASCII, leaveOpen: true);
                for (var request = 0; await reader.ReadLineAsync(_stop.Token) is not null; request++)
                {
                    if (_answer(connection, request) is not { } answer)
                    {
                        return;
                    }

                    await stream.WriteAsync(Encoding.ASCII.GetBytes(answer), _stop.Token);
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException or ObjectDisposedException)
            {
                // stopped, dropped, or the client went away
            }
        }
    }
}
