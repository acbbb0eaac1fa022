using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace CacheBus.Service.Django;

/// <summary>
/// The keys Django builds (Django 3.2 source; 4.x and 5.x keep these formats), so CacheBus deletes exactly what
/// Django stored and Django's next read misses.
/// </summary>
internal sealed class DjangoKeys(DjangoCacheOptions cache)
{
    // Characters Django's iri_to_uri leaves alone (urllib's always-safe set plus the ones it adds).
    private const string UriSafe = "/#%[]=:;$&()+,!?*@'~_.-";

    // Characters Django's escape_uri_path leaves alone in a request's path.
    private const string PathSafe = "/:@&+$,!~*'()_.-";

    /// <summary>Django's default KEY_FUNCTION: <c>prefix:version:key</c>.</summary>
    public string Key(string key) => string.Create(CultureInfo.InvariantCulture, $"{cache.KeyPrefix}:{cache.Version}:{key}");

    /// <summary>
    /// The keys of cache_page's header list for an absolute URL, one per language and time zone. Without its header
    /// list Django treats a page as a miss, so deleting these invalidates every variant of the page.
    /// </summary>
    public IEnumerable<string> PageHeaderKeys(string absoluteUrl)
    {
        var baseKey = $"views.decorators.cache.cache_header.{cache.PageKeyPrefix}.{Md5Hex(Encoding.ASCII.GetBytes(IriToUri(AbsoluteUri(absoluteUrl))))}";
        IEnumerable<string> keys = [baseKey];
        if (cache.EffectiveLanguages.Count > 0)
        {
            keys = keys.SelectMany(key => cache.EffectiveLanguages.Select(language => $"{key}.{language}"));
        }

        if (cache.EffectiveTimeZones.Count > 0)
        {
            keys = keys.SelectMany(key => cache.EffectiveTimeZones.Select(zone => $"{key}.{zone}"));
        }

        return keys.Select(Key);
    }

    /// <summary>The key of a <c>{% cache %}</c> fragment: md5 over each vary_on value followed by a colon.</summary>
    public string FragmentKey(string name, IEnumerable<string> varyOn)
    {
        var bytes = new List<byte>();
        foreach (var value in varyOn)
        {
            bytes.AddRange(Encoding.UTF8.GetBytes(value));
            bytes.Add((byte)':');
        }

        return Key($"template.cache.{name}.{Md5Hex([.. bytes])}");
    }

    /// <summary>
    /// What <c>request.build_absolute_uri()</c> gives for a URL written as a visitor sees it: the path escaped as
    /// Django's <c>escape_uri_path</c> escapes the decoded request path, the query string as <c>iri_to_uri</c> leaves it.
    /// </summary>
    public static string AbsoluteUri(string url)
    {
        var authorityStart = url.IndexOf("://", StringComparison.Ordinal) is var scheme and >= 0 ? scheme + 3 : 0;
        var pathStart = url.IndexOf('/', authorityStart) is var slash and >= 0 ? slash : url.Length;
        var queryStart = url.IndexOf('?', pathStart) is var question and >= 0 ? question : url.Length;
        var path = url[pathStart..queryStart];
        var query = queryStart < url.Length ? url[(queryStart + 1)..] : "";
        return url[..pathStart] + Escape(path.Length == 0 ? "/" : path, PathSafe) + (query.Length > 0 ? "?" + IriToUri(query) : "");
    }

    /// <summary>Django's iri_to_uri: percent-encodes, as UTF-8, every character outside the URI-safe set.</summary>
    public static string IriToUri(string iri) => Escape(iri, UriSafe);

    private static string Escape(string iri, string safe)
    {
        var uri = new StringBuilder(iri.Length);
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in iri.EnumerateRunes())
        {
            if (rune.IsAscii && (char.IsAsciiLetterOrDigit((char)rune.Value) || safe.Contains((char)rune.Value, StringComparison.Ordinal)))
            {
                uri.Append((char)rune.Value);
                continue;
            }

            foreach (var b in utf8[..rune.EncodeToUtf8(utf8)])
            {
                uri.Append('%').Append(b.ToString("X2", CultureInfo.InvariantCulture));
            }
        }

        return uri.ToString();
    }

#pragma warning disable CA5351 // MD5 is Django's key format here, not a security measure.
    private static string Md5Hex(byte[] data) => Convert.ToHexStringLower(MD5.HashData(data));
#pragma warning restore CA5351
}
