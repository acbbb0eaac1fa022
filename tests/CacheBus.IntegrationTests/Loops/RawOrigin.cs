using System.Net;
using System.Net.Sockets;
using System.Text;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests.Loops;

/// <summary>
/// A fragment origin written on a bare socket, so it can misbehave the way no HTTP server library lets it: with
/// <see cref="CutOffMidBody"/> it sends a 200 with a Content-Length and closes the connection after part of the body.
/// Otherwise it answers every request with a whole card numbered by the request's order.
/// </summary>
internal sealed class RawOrigin : IDisposable
{
    private readonly TcpListener _listener = new(IPAddress.Loopback, FreePorts.Next());
    private int _requests;
    private int _cutOff;

    public RawOrigin()
    {
        _listener.Start();
        Address = $"http://127.0.0.1:{((IPEndPoint)_listener.LocalEndpoint).Port}";
        _ = AcceptAsync();
    }

    public string Address { get; }

    public bool CutOffMidBody { get; set; }

    /// <summary>Requests answered in full so far.</summary>
    public int Served => Volatile.Read(ref _requests);

    /// <summary>Responses cut off mid-body so far.</summary>
    public int CutOff => Volatile.Read(ref _cutOff);

    public static string Card(int number) => $"<b>card {number}</b>";

    public void Dispose() => _listener.Dispose();

    private async Task AcceptAsync()
    {
        while (true)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync();
            }
            catch (Exception ex) when (ex is ObjectDisposedException or SocketException)
            {
                return; // disposed
            }

            _ = Task.Run(() => AnswerAsync(client));
        }
    }

    private async Task AnswerAsync(TcpClient client)
    {
        using (client)
        {
            var stream = client.GetStream();
            var request = new StringBuilder();
            var buffer = new byte[4096];
            while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
            {
                var read = await stream.ReadAsync(buffer);
                if (read == 0)
                {
                    return;
                }

                request.Append(Encoding.ASCII.GetString(buffer, 0, read));
            }

            if (CutOffMidBody)
            {
                Interlocked.Increment(ref _cutOff);
                var partial = Encoding.UTF8.GetBytes("<b>card cut of");
                await stream.WriteAsync(Encoding.ASCII.GetBytes(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: 1000\r\nConnection: close\r\n\r\n"));
                await stream.WriteAsync(partial);
                await stream.FlushAsync();
                return; // closes with 986 bytes promised and never sent
            }

            var body = Encoding.UTF8.GetBytes(Card(Interlocked.Increment(ref _requests)));
            await stream.WriteAsync(Encoding.ASCII.GetBytes(
                $"HTTP/1.1 200 OK\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {body.Length}\r\nConnection: close\r\n\r\n"));
            await stream.WriteAsync(body);
        }
    }
}
