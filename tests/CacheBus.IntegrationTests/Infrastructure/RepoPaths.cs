namespace CacheBus.IntegrationTests.Infrastructure;

internal static class RepoPaths
{
    /// <summary>The folder holding CacheBus.sln, found from the test binaries upwards.</summary>
    public static string Root { get; } = FindRoot();

    public static string DemoSchema => Path.Combine(Root, "compose", "demo", "schema.sql");

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "CacheBus.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"No CacheBus.sln above {AppContext.BaseDirectory}");
    }
}
