namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// One layout for every fault the suite injects, as `.ci/run` prints it and README copies it: the changes committed
/// around the fault, the keys (or sessions) those changes must evict and how many were, how many stayed stale, the
/// time to recover, and the service's peak RSS (VmHWM of the process running at the end).
/// </summary>
internal static class FaultTable
{
    public const string Header = "fault                          committed   evicted/of    lost recovered in  peak RSS";

    public static string Row(string fault, long committed, int evicted, int of, TimeSpan? recovery, double? peakRss, string note = "") =>
        $"{fault,-30} {committed,9} {evicted,9}/{of,-6} {of - evicted,4} {(recovery is { } r ? $"{r.TotalSeconds:0.0}s" : "-"),12} {(peakRss is { } m ? $"{m:0} MB" : "-"),9}  {note}".TrimEnd();
}
