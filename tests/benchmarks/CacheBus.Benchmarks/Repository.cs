namespace CacheBus.Benchmarks;

internal static class Repository
{
    /// <summary>The folder holding CacheBus.sln, found from the benchmark's binaries upwards.</summary>
    public static string Root { get; } = Find();

    private static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheBus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no CacheBus.sln above {AppContext.BaseDirectory}");
    }

    public static string Required(string name) =>
        Environment.GetEnvironmentVariable(name) is { Length: > 0 } value
            ? value
            : throw new InvalidOperationException($"{name} is not set: eval \"$(compose/local/servers.sh env)\"");
}
