using System.Collections.Concurrent;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Refreshes warmed fragments before they expire, XFetch-style (Vattani et al., VLDB 2015): a fragment is refreshed
/// once <c>now - delta * beta * ln(random)</c> passes its expiry, so refreshes spread out ahead of expiry instead of
/// all visitors missing at once. Only fragments this process warmed are tracked (at most <see cref="MaxTracked"/>).
/// </summary>
internal sealed class EarlyRefresher : BackgroundService
{
    private const int MaxTracked = 100_000;
    private static readonly TimeSpan Tick = TimeSpan.FromMilliseconds(250);
    private readonly ConcurrentDictionary<string, WarmedFragment> _tracked = new(StringComparer.Ordinal);
    private readonly FragmentWarmer _warmer;
    private readonly FragmentsOptions _options;
    private readonly TimeProvider _time;

    public EarlyRefresher(FragmentWarmer warmer, IOptions<FragmentsOptions> options, TimeProvider time)
    {
        _warmer = warmer;
        _options = options.Value;
        _time = time;
        warmer.Warmed += Track;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(Tick, _time);
        while (await timer.WaitForNextTickAsync(stoppingToken))
        {
            var now = _time.GetUtcNow();
            var due = _tracked.Values.Where(f => IsDue(f, now)).ToList();
            foreach (var fragment in due)
            {
                _tracked.TryRemove(new KeyValuePair<string, WarmedFragment>(fragment.Key, fragment));
            }

            // A failed refresh was counted and handled by policy inside the warmer; the fragment simply expires.
            await Task.WhenAll(due.Select(f => _warmer.WarmAsync(f.Name, f.Key, f.Url)));
        }
    }

    private void Track(WarmedFragment fragment)
    {
        if (_options.Policies[fragment.Name].EarlyRefreshBeta > 0 && (_tracked.Count < MaxTracked || _tracked.ContainsKey(fragment.Key)))
        {
            _tracked[fragment.Key] = fragment;
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
}
