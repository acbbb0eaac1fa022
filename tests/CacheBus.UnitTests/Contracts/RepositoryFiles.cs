namespace CacheBus.UnitTests.Contracts;

/// <summary>Finds files of the repository from wherever the build put the test binaries.</summary>
internal static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string SamplesDirectory => Path.Combine(Root, "contracts", "samples");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "CacheBus.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"No folder above {AppContext.BaseDirectory} holds CacheBus.sln.");
    }
}
