using System.Net;
using System.Net.Sockets;

namespace CacheBus.IntegrationTests.Infrastructure;

internal static class FreePorts
{
    /// <summary>
    /// A loopback port nothing listens on now, as the system hands them out. Another process may take it before the
    /// caller binds it; unlikely enough on a test machine, unlike a port drawn at random, which does meet one in use.
    /// </summary>
    public static int Next()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}
