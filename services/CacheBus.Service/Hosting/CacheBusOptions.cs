namespace CacheBus.Service;

/// <summary>Which parts of CacheBus this process runs. Bound from <c>CacheBus</c>.</summary>
public sealed class CacheBusOptions
{
    public const string Section = "CacheBus";

    /// <summary>Listener, Consumers, or both (the default): one image serves a laptop and a scaled-out deployment.</summary>
    public CacheBusRole Role { get; set; } = CacheBusRole.All;
}

[Flags]
public enum CacheBusRole
{
    Listener = 1,
    Consumers = 2,
    All = Listener | Consumers,
}
