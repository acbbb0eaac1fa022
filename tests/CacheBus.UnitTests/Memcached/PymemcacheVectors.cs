using System.Globalization;
using CacheBus.UnitTests.Contracts;

namespace CacheBus.UnitTests.Memcached;

/// <summary>
/// <c>pymemcache_nodes.tsv</c> beside this file: what Debian's pymemcache computed, written by <c>pymemcache_nodes.py</c>
/// (an integration test checks the file against a fresh run). See the script for the rows.
/// </summary>
internal sealed class PymemcacheVectors
{
    public static string FilePath { get; } = Path.Combine(RepositoryFiles.Root, "tests", "CacheBus.UnitTests", "Memcached", "pymemcache_nodes.tsv");

    public static PymemcacheVectors Committed { get; } = new(File.ReadAllLines(FilePath));

    private PymemcacheVectors(string[] lines)
    {
        foreach (var fields in lines.Where(line => !line.StartsWith('#')).Select(line => line.Split('\t')))
        {
            switch (fields[0])
            {
                case "servers":
                    ServerSets = [.. fields.Skip(1).Select(set => set.Split(','))];
                    break;
                case "node":
                    NodeNames.Add((fields[1], fields[2]));
                    break;
                case "murmur3":
                    Murmur3.Add((fields[1], uint.Parse(fields[2], CultureInfo.InvariantCulture)));
                    break;
                case "key":
                    Keys.Add((fields[1], [.. fields.Skip(2).Select(i => int.Parse(i, CultureInfo.InvariantCulture))]));
                    break;
                case "tie":
                    Ties.Add((fields[1].Split(','), fields[2], int.Parse(fields[3], CultureInfo.InvariantCulture)));
                    break;
                default:
                    throw new InvalidDataException($"{FilePath}: unknown row '{fields[0]}'");
            }
        }
    }

    public IReadOnlyList<string[]> ServerSets { get; } = [];

    public List<(string Server, string NodeName)> NodeNames { get; } = [];

    public List<(string Text, uint Hash)> Murmur3 { get; } = [];

    /// <summary>Each key with the index of the node picked in each of <see cref="ServerSets"/>.</summary>
    public List<(string Key, int[] Picked)> Keys { get; } = [];

    public List<(string[] Servers, string Key, int Picked)> Ties { get; } = [];
}
