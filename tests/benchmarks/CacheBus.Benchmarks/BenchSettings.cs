namespace CacheBus.Benchmarks;

/// <summary>What one benchmark run does; <see cref="Problems"/> names every bad option before anything starts.</summary>
internal sealed record BenchSettings(int Changes, int[] Rates, double Seconds, DirectoryInfo Output)
{
    /// <summary>Each latency run changes every row at most once, so its key's eviction is unambiguous.</summary>
    public int RowsNeeded => Math.Max(Changes, Rates.Length == 0 ? 0 : Rates.Max(ChangesAt));

    public int ChangesAt(int rate) => (int)Math.Ceiling(rate * Seconds);

    public IEnumerable<string> Problems()
    {
        if (Changes < 3)
        {
            yield return "--changes must be at least 3 (one per table)";
        }

        if (Rates.Length == 0 || Rates.Any(r => r <= 0))
        {
            yield return "--rates needs one or more positive rates";
        }

        if (Seconds <= 0)
        {
            yield return "--seconds must be positive";
        }
    }
}
