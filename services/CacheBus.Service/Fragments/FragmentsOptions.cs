namespace CacheBus.Service.Fragments;

/// <summary>
/// Fragments CacheBus keeps warm instead of deleting: after a change it fetches the fragment from the origin and
/// overwrites Django's key. Bound from <c>CacheBus:Fragments</c>.
/// </summary>
public sealed class FragmentsOptions
{
    public const string Section = "CacheBus:Fragments";

    /// <summary>Sent as <c>X-CacheBus-Token</c>; the Django view refuses a request without it. Keep it in the environment.</summary>
    public string? Token { get; set; }

    /// <summary>TTL policies by fragment name (the name of the <c>{% cache %}</c> tag).</summary>
    public Dictionary<string, FragmentPolicyOptions> Policies { get; } = new(StringComparer.Ordinal);
}

public enum FragmentFailure
{
    /// <summary>Leave the old fragment in place (it expires on its own TTL).</summary>
    Keep,

    /// <summary>Delete the old fragment, so the next visitor renders it.</summary>
    Delete,
}

public sealed class FragmentPolicyOptions
{
    /// <summary>Longest <see cref="Timeout"/>: a fragment that takes longer to render is a page, and the warm holds a consumer meanwhile.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromMinutes(1);

    /// <summary>Longest <see cref="StaleWhileRevalidate"/>: beyond a day the stale copy is no revalidation window but a second TTL.</summary>
    public static readonly TimeSpan MaxStaleWhileRevalidate = TimeSpan.FromDays(1);

    /// <summary>Largest <see cref="MaxBytes"/> (16 MiB): far above any fragment of a page.</summary>
    public const int MaxMaxBytes = 16 * 1024 * 1024;

    /// <summary>The URL that renders the fragment, filled from the row, for example <c>https://shop.example.com/cachebus/fragments/product_card/?vary={id}</c>.</summary>
    public string OriginUrl { get; set; } = "";

    /// <summary>Scheme, host and port CacheBus may fetch from; any other URL, or a redirect, is refused.</summary>
    public List<string> AllowedOrigins { get; } = [];

    public TimeSpan Ttl { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Each stored TTL moves by a random amount within ±Jitter, so fragments warmed together do not expire together.</summary>
    public TimeSpan Jitter { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long past its TTL a fragment may still be served while a fresh one is fetched (RFC 5861), at most <see cref="MaxStaleWhileRevalidate"/>.</summary>
    public TimeSpan StaleWhileRevalidate { get; set; } = TimeSpan.Zero;

    /// <summary>XFetch's beta: above 0, a fragment is refreshed early, the more likely the closer it is to expiry. 0: off.</summary>
    public double EarlyRefreshBeta { get; set; } = 1.0;

    /// <summary>A warm waits this long before fetching; every change to the fragment meanwhile joins that one fetch.</summary>
    public TimeSpan CoalesceWindow { get; set; } = TimeSpan.FromMilliseconds(100);

    public int MaxConcurrentWarms { get; set; } = 4;

    /// <summary>Most fetches per second from the origin.</summary>
    public int MaxFetchesPerSecond { get; set; } = 50;

    /// <summary>Longest wait for one fetch (headers and body), at most <see cref="MaxTimeout"/> and shorter than Ttl - Jitter.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Largest fragment stored, at most <see cref="MaxMaxBytes"/>; a larger answer is a failure.</summary>
    public int MaxBytes { get; set; } = 256 * 1024;

    /// <summary>Retries after a transient failure (timeout, unreachable, 5xx, a body cut off), with doubling back-off.</summary>
    public int Retries { get; set; } = 2;

    public FragmentFailure OnFailure { get; set; } = FragmentFailure.Keep;
}
