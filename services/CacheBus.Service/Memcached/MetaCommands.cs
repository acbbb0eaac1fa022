using System.Globalization;

namespace CacheBus.Service.Memcached;

/// <summary>
/// The meta protocol request lines this client sends, each ending in <c>\r\n</c>. Keys are validated by the caller
/// (<see cref="MemcachedKey"/>); expirations are tokens from <see cref="MemcachedExpiration"/>.
/// </summary>
internal static class MetaCommands
{
    public const string NoOp = "mn\r\n";

    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    /// <summary>Value, client flags, CAS and remaining TTL: <c>VA</c> on a hit, <c>EN</c> on a miss.</summary>
    public static string Get(string key) => $"mg {key} v f c t\r\n";

    /// <summary>Header of a set; the value and <c>\r\n</c> follow. <c>HD</c>, <c>NS</c>, <c>EX</c> or <c>NF</c>.</summary>
    public static string Set(string key, int length, uint flags, long expiration, ulong? cas) =>
        string.Create(Invariant, $"ms {key} {length} T{expiration} F{flags}{Cas(cas)}\r\n");

    /// <summary>Header of an add (mode E): stored only when the key is absent, <c>NS</c> otherwise.</summary>
    public static string Add(string key, int length, uint flags, long expiration) =>
        string.Create(Invariant, $"ms {key} {length} T{expiration} F{flags} ME\r\n");

    /// <summary><c>HD</c>, <c>NF</c>, or <c>EX</c> when the CAS does not match.</summary>
    public static string Delete(string key, ulong? cas) => $"md {key}{Cas(cas)}\r\n";

    /// <summary>A meta get that only updates the TTL: <c>HD</c> on a hit, <c>EN</c> on a miss.</summary>
    public static string Touch(string key, long expiration) => string.Create(Invariant, $"mg {key} T{expiration}\r\n");

    /// <summary>Quiet delete: memcached 1.6.18 suppresses HD (deleted) but still answers <c>NF O&lt;n&gt;</c>.</summary>
    public static string QuietDelete(string key, int opaque) => string.Create(Invariant, $"md {key} q O{opaque}\r\n");

    /// <summary>Quiet touch: memcached 1.6.18 suppresses EN (miss) but still answers <c>HD O&lt;n&gt;</c> on a hit.</summary>
    public static string QuietTouch(string key, long expiration, int opaque) =>
        string.Create(Invariant, $"mg {key} T{expiration} q O{opaque}\r\n");

    private static string Cas(ulong? cas) => cas is { } value ? string.Create(Invariant, $" C{value}") : "";
}
