namespace CacheBus.Service;

/// <summary>How consumers retry a message that failed. Bound from <c>CacheBus:Retry</c>.</summary>
public sealed class RetryOptions
{
    public const string Section = "CacheBus:Retry";

    /// <summary>
    /// Retries of a failure that is neither known to heal nor known to be permanent (a bug, most likely) before the
    /// message goes to its _error queue. A cache or broker away is retried for as long as it is away, whatever this says.
    /// </summary>
    public int Limit { get; set; } = 10;

    /// <summary>The longest wait between two attempts; the waits grow from 100 ms up to it.</summary>
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromSeconds(30);
}
