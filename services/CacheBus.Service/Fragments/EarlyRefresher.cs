using System.Collections.Concurrent;
using CacheBus.Service.Metrics;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Refreshes warmed fragments before they expire, XFetch-style (Vattani et al., VLDB 2015): a fragment is refreshed
/// once <c>now - delta * beta * ln(random)</c> passes its expiry, so refreshes spread out ahead of expiry instead of
/// all visitors missing at once. Only fragments this process warmed are tracked (at most <see cref="MaxTracked"/>).
/// </summary>
internal sealed partial class EarlyRefresher : BackgroundService
{
    private const int MaxTracked = 100_000;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private static readonly TimeSpan FirstRetry = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan MaxRetryDelay = TimeSpan.FromSeconds(10);
    private readonly ConcurrentDictionary<string, Tracked> _tracked = new(StringComparer.Ordinal);
    private readonly FragmentWarmer _warmer;
    private readonly FragmentsOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<EarlyRefresher> _logger;

    public EarlyRefresher(FragmentWarmer warmer, IOptions<FragmentsOptions> options, TimeProvider time, ILogger<EarlyRefresher> logger)
    {
        _warmer = warmer;
        _options = options.Value;
        _time = time;
        _logger = logger;
        warmer.Warmed += Track;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = _time.GetUtcNow();
            var due = _tracked.Values.Where(t => t.RetryAt is { } retryAt ? retryAt <= now : IsDue(t.Fragment, now)).ToList();
            foreach (var tracked in due)
            {
                _tracked.TryRemove(new KeyValuePair<string, Tracked>(tracked.Fragment.Key, tracked));
            }

            await Task.WhenAll(due.Select(t => RefreshAsync(t, stoppingToken)));
        }
    }

    private async Task RefreshAsync(Tracked tracked, CancellationToken stoppingToken)
    {
        var fragment = tracked.Fragment;
        try
        {
            // Warmed: the warm tracked it afresh. A failure the warmer met was counted (cachebus_warms_total) and
            // handled by policy there; one that cannot heal (a redirect, a 404) is not retried: the fragment expires.
            if (await _warmer.WarmAsync(fragment.Name, fragment.Key, fragment.Url) != WarmOutcome.TransientFailure)
            {
                return;
            }
        }
        catch (Exception ex) when (_logger.Survives(ex, "early-refresh", stoppingToken))
        {
            // Redis away while storing (or deleting per OnFailure): the fragment is refreshed again below.
            LogRefreshFailed(ex, fragment.Key);
        }

        RetryLater(tracked);
    }

    // A refresh that failed on something that may heal is tried again with doubling back-off (1 s up to 10 s) for as
    // long as Redis still holds the fragment (its expiry plus the policy's stale-while-revalidate window). Past that the
    // copy is gone and refreshing would no longer spare anyone a miss: it is dropped, counted and logged; the next
    // visitor renders the fragment, and the next change to its row warms it again.
    private void RetryLater(Tracked tracked)
    {
        var fragment = tracked.Fragment;
        var backoff = tracked.Backoff == TimeSpan.Zero ? FirstRetry : TimeSpan.FromTicks(Math.Min(tracked.Backoff.Ticks * 2, MaxRetryDelay.Ticks));
        var retryAt = _time.GetUtcNow() + backoff;
        if (retryAt > fragment.Expiry + _options.Policies[fragment.Name].StaleWhileRevalidate)
        {
            CacheBusMetrics.Failures.WithLabels("early-refresh", "gave-up").Inc();
            LogGaveUp(fragment.Key);
            return;
        }

        // A warm that succeeded meanwhile (a row change) tracked the fragment afresh; that entry wins.
        _tracked.TryAdd(fragment.Key, new Tracked(fragment, retryAt, backoff));
    }

    private void Track(WarmedFragment fragment)
    {
        if (_options.Policies[fragment.Name].EarlyRefreshBeta > 0 && (_tracked.Count < MaxTracked || _tracked.ContainsKey(fragment.Key)))
        {
            _tracked[fragment.Key] = new Tracked(fragment, null, TimeSpan.Zero);
        }
    }

#pragma warning disable CA5394 // randomness spreads refreshes; it is not security
    private bool IsDue(WarmedFragment fragment, DateTimeOffset now)
    {
        var policy = _options.Policies[fragment.Name];
        var delta = Math.Max(fragment.Delta.TotalSeconds, Tick.TotalSeconds);

        // Unlike XFetch at read time, this loop must finish the refresh before expiry: it starts no later than the
        // time a refresh takes (a tick, the coalescing window, twice the last fetch) ahead of it.
        var guard = Tick + policy.CoalesceWindow + (fragment.Delta * 2);
        return now + guard - TimeSpan.FromSeconds(delta * policy.EarlyRefreshBeta * Math.Log(1 - Random.Shared.NextDouble())) >= fragment.Expiry;
    }
#pragma warning restore CA5394

    [LoggerMessage(LogLevel.Warning, "Early refresh of {Key} failed; retrying it")]
    private partial void LogRefreshFailed(Exception exception, string key);

    [LoggerMessage(LogLevel.Warning, "Early refresh of {Key} gave up: its stored copy has expired, the next visitor renders it")]
    private partial void LogGaveUp(string key);

    /// <summary>A fragment to refresh: when early refresh picks it (<see cref="RetryAt"/> null) or when a failed refresh is tried again.</summary>
    private sealed record Tracked(WarmedFragment Fragment, DateTimeOffset? RetryAt, TimeSpan Backoff);
}
