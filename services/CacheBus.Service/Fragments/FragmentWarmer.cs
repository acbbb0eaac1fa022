using System.Collections.Concurrent;
using System.Diagnostics;
using System.Threading.RateLimiting;
using CacheBus.Service.Django;
using CacheBus.Service.Metrics;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Fetches fresh fragments and overwrites Django's keys, one fetch at a time per key: a request that arrives while a
/// warm of that key waits out its coalescing window joins it, one that arrives while it runs gets one more warm after
/// it (the running fetch may have read the row before the latest commit). Per policy it bounds concurrency and fetch rate, retries
/// transient failures with back-off, and on a final failure keeps or deletes the old fragment.
/// </summary>
internal sealed class FragmentWarmer : IAsyncDisposable
{
    private readonly IConnectionMultiplexer _redis;
    private readonly FragmentFetcher _fetcher;
    private readonly FragmentsOptions _options;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, Flight> _flights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (SemaphoreSlim Concurrency, RateLimiter Rate)> _limits;

    private readonly CancellationToken _stopping;

    public FragmentWarmer(
        IConnectionMultiplexer redis, FragmentFetcher fetcher, IOptions<FragmentsOptions> options, TimeProvider time, IHostApplicationLifetime lifetime)
    {
        _stopping = lifetime.ApplicationStopping;
        _redis = redis;
        _fetcher = fetcher;
        _options = options.Value;
        _time = time;
        _limits = _options.Policies.ToDictionary(p => p.Key, p => (
            new SemaphoreSlim(p.Value.MaxConcurrentWarms),
            (RateLimiter)new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
            {
                TokenLimit = p.Value.MaxFetchesPerSecond,
                TokensPerPeriod = p.Value.MaxFetchesPerSecond,
                ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                QueueLimit = int.MaxValue,
                AutoReplenishment = true,
            })));
    }

    /// <summary>Raised after each successful warm, with what the early refresher needs to know.</summary>
    public event Action<WarmedFragment>? Warmed;

    /// <summary>True when the fragment has a TTL policy here, so it can be warmed.</summary>
    public bool HasPolicy(string name) => _options.Policies.ContainsKey(name);

    /// <summary>Warms the key and completes once a fetch that started after this call has been applied (or has failed).</summary>
    public Task<WarmOutcome> WarmAsync(string name, string key, string url)
    {
        while (true)
        {
            var flight = _flights.GetOrAdd(key, _ => new Flight());
            lock (flight)
            {
                if (flight.Retired)
                {
                    continue;
                }

                if (flight.Pending is null)
                {
                    flight.Pending = new TaskCompletionSource<WarmOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
                    if (flight.Running is null)
                    {
                        flight.Running = RunAsync(name, key, url, flight, _stopping);
                    }
                }

                return flight.Pending.Task;
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (concurrency, rate) in _limits.Values)
        {
            concurrency.Dispose();
            await rate.DisposeAsync();
        }
    }

    private async Task RunAsync(string name, string key, string url, Flight flight, CancellationToken ct)
    {
        var window = _options.Policies[name].CoalesceWindow;
        await Task.Yield();
        while (true)
        {
            // Changes arriving within the window join this round's single fetch.
            await Task.Delay(window, _time, ct);
            TaskCompletionSource<WarmOutcome> done;
            lock (flight)
            {
                if (flight.Pending is null)
                {
                    flight.Running = null;
                    flight.Retired = _flights.TryRemove(new KeyValuePair<string, Flight>(key, flight));
                    return;
                }

                done = flight.Pending; // callers arriving from now on wait for the next round
                flight.Pending = null;
            }

            try
            {
                done.SetResult(await WarmOnceAsync(name, key, url, ct));
            }
            catch (Exception ex)
            {
                done.SetException(ex);
            }
        }
    }

    private async Task<WarmOutcome> WarmOnceAsync(string name, string key, string url, CancellationToken ct)
    {
        var policy = _options.Policies[name];
        var (concurrency, rate) = _limits[name];
        await concurrency.WaitAsync(ct);
        try
        {
            var backoff = TimeSpan.FromMilliseconds(200);
            for (var attempt = 0; ; attempt++)
            {
                using var lease = await rate.AcquireAsync(1, ct);
                var started = Stopwatch.GetTimestamp();
                var result = await _fetcher.FetchAsync(url, policy, _options.Token, ct);
                if (result.Html is { } html)
                {
                    // Fresh for ttl; Redis keeps it stale-while-revalidate longer, while the early refresher replaces it.
                    var ttl = policy.Ttl + Jitter(policy.Jitter);
                    await _redis.GetDatabase().StringSetAsync(key, PickledString.Write(html), ttl + policy.StaleWhileRevalidate);
                    CacheBusMetrics.Warms.WithLabels(name, "warmed").Inc();
                    Warmed?.Invoke(new WarmedFragment(name, key, url, _time.GetUtcNow() + ttl, Stopwatch.GetElapsedTime(started)));
                    return WarmOutcome.Warmed;
                }

                CacheBusMetrics.Warms.WithLabels(name, result.Failure!).Inc();
                if (!result.Transient || attempt >= policy.Retries)
                {
                    await FailAsync(policy, key);
                    return result.Transient ? WarmOutcome.TransientFailure : WarmOutcome.PermanentFailure;
                }

                await Task.Delay(backoff, _time, ct);
                backoff *= 2;
            }
        }
        finally
        {
            concurrency.Release();
        }
    }

    // Error paths act unconditionally (Meta's 2022 bug: a conditional error path left a stale item forever).
    private async Task FailAsync(FragmentPolicyOptions policy, string key)
    {
        if (policy.OnFailure == FragmentFailure.Delete)
        {
            await _redis.GetDatabase().KeyDeleteAsync(key);
        }
    }

#pragma warning disable CA5394 // jitter spreads expiries; it is not security
    private static TimeSpan Jitter(TimeSpan jitter) => jitter * ((Random.Shared.NextDouble() * 2) - 1);
#pragma warning restore CA5394

    private sealed class Flight
    {
        public Task? Running { get; set; }

        public TaskCompletionSource<WarmOutcome>? Pending { get; set; }

        public bool Retired { get; set; }
    }
}

/// <summary>How a warm ended: stored, or failed (counted, policy applied) in a way that may heal or one that will not.</summary>
internal enum WarmOutcome
{
    Warmed,
    TransientFailure,
    PermanentFailure,
}

/// <summary>A fragment just stored: when it logically expires, and how long its fetch took (XFetch's delta).</summary>
internal sealed record WarmedFragment(string Name, string Key, string Url, DateTimeOffset Expiry, TimeSpan Delta);
