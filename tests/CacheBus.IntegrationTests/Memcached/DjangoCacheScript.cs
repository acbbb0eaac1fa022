using CacheBus.IntegrationTests.Infrastructure;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>Runs <c>django_cache.py</c> (beside this file): Django's own PyMemcacheCache reading, adding, picking nodes.</summary>
internal static class DjangoCacheScript
{
    private static string Script => Path.Combine(RepoPaths.Root, "tests", "CacheBus.IntegrationTests", "Memcached", "django_cache.py");

    /// <summary>One input line per key (see the script for each mode); one JSON answer per line, in order.</summary>
    public static async Task<string[]> RunAsync(string cacheJson, string mode, IEnumerable<string> lines, CancellationToken ct)
    {
        var input = lines.ToList();
        var output = await DebianPython.RunAsync(Script, [cacheJson, mode], string.Join('\n', input) + "\n", ct);
        var answers = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        return answers.Length == input.Count
            ? answers
            : throw new InvalidOperationException($"django_cache.py {mode} answered {answers.Length} lines for {input.Count}:\n{output}");
    }
}
