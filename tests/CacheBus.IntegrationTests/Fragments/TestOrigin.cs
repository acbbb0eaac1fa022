using System.Net;
using System.Text;
using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests.Fragments;

/// <summary>
/// A real HTTP origin on a free loopback port: each request goes to the test's handler, concurrently (a slow answer
/// never holds up the next request), and is answered with the HTML the handler returns.
/// </summary>
internal sealed class TestOrigin : IDisposable
{
    private readonly HttpListener _listener = new();
    private readonly Func<HttpListenerRequest, Task<string>> _handler;

    public TestOrigin(Func<HttpListenerRequest, Task<string>> handler)
    {
        _handler = handler;
        var port = FreePorts.Next();
        _listener.Prefixes.Add($"http://127.0.0.1:{port}/");
        _listener.Start();
        Address = $"http://127.0.0.1:{port}";
        _ = ServeAsync();
    }

    /// <summary>Scheme, host and port, as a policy's AllowedOrigins takes it.</summary>
    public string Address { get; }

    public void Dispose() => _listener.Close();

    private async Task ServeAsync()
    {
        while (_listener.IsListening)
        {
            HttpListenerContext context;
            try
            {
                context = await _listener.GetContextAsync();
            }
            catch (HttpListenerException)
            {
                return; // closed
            }

            _ = Task.Run(async () =>
            {
                var body = Encoding.UTF8.GetBytes(await _handler(context.Request));
                context.Response.ContentType = "text/html; charset=utf-8";
                await context.Response.OutputStream.WriteAsync(body);
                context.Response.Close();
            });
        }
    }
}
