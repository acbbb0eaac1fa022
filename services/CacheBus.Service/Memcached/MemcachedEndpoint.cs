using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace CacheBus.Service.Memcached;

/// <summary>One memcached node, written <c>host:port</c> (an IPv6 host in brackets: <c>[::1]:11211</c>).</summary>
internal sealed record MemcachedEndpoint(string Host, int Port)
{
    public static bool TryParse(string? text, [NotNullWhen(true)] out MemcachedEndpoint? endpoint)
    {
        endpoint = null;
        var colon = text?.LastIndexOf(':') ?? -1;
        if (text is null || colon <= 0)
        {
            return false;
        }

        var host = text[..colon];
        if (host.StartsWith('[') && host.EndsWith(']'))
        {
            host = host[1..^1];
        }

        if (host.Length == 0 || host.Any(char.IsWhiteSpace)
            || !int.TryParse(text.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port)
            || port is < 1 or > 65535)
        {
            return false;
        }

        endpoint = new MemcachedEndpoint(host, port);
        return true;
    }

    /// <summary>
    /// The name pymemcache's HashClient hashes for this node: <c>'%s:%s' % (host, port)</c> of the (host, port) it parses
    /// from a LOCATION entry, so an IPv6 host without its brackets (<c>::1:11211</c>) and the port as a number.
    /// </summary>
    public string NodeName => string.Create(CultureInfo.InvariantCulture, $"{Host}:{Port}");

    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}
