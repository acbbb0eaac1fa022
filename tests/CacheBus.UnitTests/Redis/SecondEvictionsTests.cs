using CacheBus.Service.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;

namespace CacheBus.UnitTests.Redis;

// Not started, so nothing drains the queue (as when Redis does not answer); the invalidator is never called.
public sealed class SecondEvictionsTests
{
    private static readonly TimeSpan Delay = TimeSpan.FromSeconds(2);
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public async Task ScheduleAsync_PastTheCapacityInKeys_WaitsInsteadOfGrowing()
    {
        var evictions = Create(Delay);
        var full = Enumerable.Range(0, SecondEvictions.Capacity).Select(i => $"k{i}").ToArray();
        Assert.True(evictions.ScheduleAsync(full, _time.GetUtcNow(), TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);

        using var cancel = new CancellationTokenSource();
        var next = evictions.ScheduleAsync(["one too many"], _time.GetUtcNow(), cancel.Token).AsTask();

        Assert.False(next.IsCompleted);
        Assert.Equal(SecondEvictions.Capacity, evictions.Pending);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }

    [Fact]
    public void ScheduleAsync_ManySmallMessagesBelowTheCapacityInKeys_DoNotWait()
    {
        // 2,000 changes/s in transactions of two rows is a message per millisecond: a bound counted in messages made
        // the consumer wait (and the commit-to-eviction time grow to seconds) at a rate any shop reaches.
        var evictions = Create(Delay);
        for (var i = 0; i < 10_000; i++)
        {
            Assert.True(evictions.ScheduleAsync([$"a{i}", $"b{i}"], _time.GetUtcNow(), TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);
        }

        Assert.Equal(20_000, evictions.Pending);
    }

    [Fact]
    public void ScheduleAsync_CommitOlderThanTheDelay_SchedulesNothing()
    {
        // A backlog applied after an outage or a restart: its first eviction already removed any fill that read
        // before the commit and took less than the delay.
        var evictions = Create(Delay);
        var ct = TestContext.Current.CancellationToken;

        Assert.True(evictions.ScheduleAsync(["old"], _time.GetUtcNow() - Delay, ct).AsTask().IsCompletedSuccessfully);
        Assert.Equal(0, evictions.Pending);

        Assert.True(evictions.ScheduleAsync(["recent"], _time.GetUtcNow() - Delay + TimeSpan.FromMilliseconds(1), ct).AsTask().IsCompletedSuccessfully);
        Assert.True(evictions.ScheduleAsync(["unknown commit"], null, ct).AsTask().IsCompletedSuccessfully);
        Assert.Equal(2, evictions.Pending);
    }

    [Fact]
    public void ScheduleAsync_Disabled_SchedulesNothing()
    {
        var evictions = Create(TimeSpan.Zero);
        for (var i = 0; i < 1_000; i++)
        {
            Assert.True(evictions.ScheduleAsync(["k"], _time.GetUtcNow(), TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);
        }

        Assert.Equal(0, evictions.Pending);
    }

    private SecondEvictions Create(TimeSpan delay) =>
        new(new RedisInvalidator(null!, Options.Create(new RedisOptions())), Options.Create(new RedisOptions { SecondEvictionDelay = delay }), _time, NullLogger<SecondEvictions>.Instance);
}
