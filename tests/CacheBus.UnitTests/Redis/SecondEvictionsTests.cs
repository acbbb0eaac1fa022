using CacheBus.Service.Redis;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace CacheBus.UnitTests.Redis;

public sealed class SecondEvictionsTests
{
    [Fact]
    public async Task ScheduleAsync_PastTheCapacity_WaitsInsteadOfGrowing()
    {
        // Not started, so nothing drains the queue: as when Redis does not answer. The invalidator is never called.
        var evictions = new SecondEvictions(
            new RedisInvalidator(null!), Options.Create(new RedisOptions { SecondEvictionDelay = TimeSpan.FromSeconds(2) }), TimeProvider.System, NullLogger<SecondEvictions>.Instance);
        for (var i = 0; i < SecondEvictions.Capacity; i++)
        {
            Assert.True(evictions.ScheduleAsync([$"k{i}"], TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);
        }

        using var cancel = new CancellationTokenSource();
        var next = evictions.ScheduleAsync(["one too many"], cancel.Token).AsTask();

        Assert.False(next.IsCompleted);
        await cancel.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(async () => await next);
    }

    [Fact]
    public void ScheduleAsync_Disabled_SchedulesNothing()
    {
        var evictions = new SecondEvictions(
            new RedisInvalidator(null!), Options.Create(new RedisOptions { SecondEvictionDelay = TimeSpan.Zero }), TimeProvider.System, NullLogger<SecondEvictions>.Instance);

        for (var i = 0; i < SecondEvictions.Capacity + 1; i++)
        {
            Assert.True(evictions.ScheduleAsync(["k"], TestContext.Current.CancellationToken).AsTask().IsCompletedSuccessfully);
        }
    }
}
