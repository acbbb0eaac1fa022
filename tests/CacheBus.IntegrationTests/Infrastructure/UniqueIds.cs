namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// Row ids unique across this test run and unlikely to meet an earlier run's, so keys in the shared Redis never
/// collide between tests.
/// </summary>
internal static class UniqueIds
{
    private static long _next = Random.Shared.NextInt64(1, 1_000_000) * 1_000_000;

    public static long Next() => Interlocked.Increment(ref _next);

    /// <summary>A block of consecutive ids.</summary>
    public static long[] Block(int count)
    {
        var last = Interlocked.Add(ref _next, count);
        return [.. Enumerable.Range(0, count).Select(i => last - count + 1 + i)];
    }
}
