namespace CacheBus.Service.Django;

/// <summary>
/// The Django cache configurations rules can name, as in Django's CACHES setting. Bound from
/// <c>CacheBus:Django:Caches</c>; the defaults are those of a project made by <c>django-admin startproject</c>.
/// </summary>
public sealed class DjangoOptions
{
    public const string Section = "CacheBus:Django";

    public Dictionary<string, DjangoCacheOptions> Caches { get; } = new(StringComparer.Ordinal);
}

public sealed class DjangoCacheOptions
{
    /// <summary>CACHES[name]['KEY_PREFIX'].</summary>
    public string KeyPrefix { get; set; } = "";

    /// <summary>CACHES[name]['VERSION'].</summary>
    public int Version { get; set; } = 1;

    /// <summary>CACHE_MIDDLEWARE_KEY_PREFIX, or the key_prefix given to cache_page.</summary>
    public string PageKeyPrefix { get; set; } = "";

    /// <summary>USE_I18N: cache_page keys then end with the request's language.</summary>
    public bool UseI18n { get; set; } = true;

    /// <summary>The languages pages are cached in (LANGUAGE_CODE, plus any LocaleMiddleware serves). Null: en-us.</summary>
    public string[]? Languages { get; set; }

    /// <summary>USE_TZ: cache_page keys then end with the current time zone's name.</summary>
    public bool UseTz { get; set; } = true;

    /// <summary>The time zones pages are cached under (TIME_ZONE, plus any the app activates). Null: UTC.</summary>
    public string[]? TimeZones { get; set; }

    public IReadOnlyList<string> EffectiveLanguages => UseI18n ? Languages ?? ["en-us"] : [];

    public IReadOnlyList<string> EffectiveTimeZones => UseTz ? TimeZones ?? ["UTC"] : [];
}
