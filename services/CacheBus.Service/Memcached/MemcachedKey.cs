using System.Text;

namespace CacheBus.Service.Memcached;

/// <summary>
/// Keys are checked here, before anything is sent, rather than sent base64-encoded with the <c>b</c> flag: a key
/// memcached's text protocol cannot carry is one Django's client (pymemcache) refuses to store as well, so encoding it
/// would only ever address items that cannot exist. A bad key sent raw would desynchronise the connection instead.
/// </summary>
internal static class MemcachedKey
{
    public const int MaxBytes = 250;

    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Throws <see cref="ArgumentException"/> unless memcached can take <paramref name="key"/> as it is.</summary>
    public static void Validate(string key, string paramName)
    {
        if (Problem(key) is { } problem)
        {
            throw new ArgumentException(problem, paramName);
        }
    }

    /// <summary>Why memcached cannot take <paramref name="key"/> as it is, or null when it can.</summary>
    public static string? Problem(string key)
    {
        if (string.IsNullOrEmpty(key))
        {
            return "A memcached key must not be empty.";
        }

        for (var i = 0; i < key.Length; i++)
        {
            // The protocol splits on spaces and ends commands at \r\n; other controls are forbidden by its spec.
            if (key[i] == ' ' || char.IsControl(key[i]))
            {
                return $"A memcached key must not contain spaces or control characters; '{Printable(key)}' has U+{(int)key[i]:X4} at {i}.";
            }
        }

        int bytes;
        try
        {
            bytes = StrictUtf8.GetByteCount(key);
        }
        catch (EncoderFallbackException ex)
        {
            return $"A memcached key must be valid UTF-16 (it is sent as UTF-8): {ex.Message}";
        }

        return bytes > MaxBytes
            ? $"A memcached key is at most {MaxBytes} bytes; this one is {bytes} bytes in UTF-8 (starting '{Printable(key[..Math.Min(key.Length, 40)])}')."
            : null;
    }

    private static string Printable(string text) =>
        string.Concat(text.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()));
}
