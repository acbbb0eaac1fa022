using System.Globalization;
using System.Text;
using System.Text.Json;
using CacheBus.IntegrationTests.Infrastructure;
using CacheBus.Service.Memcached;

namespace CacheBus.IntegrationTests.Memcached;

/// <summary>
/// CacheBus's node choice against Debian's pymemcache itself (no servers, a python3 process): the vector file the unit
/// tests read is what its generator writes today, and keys drawn afresh each run land where Django's client puts them.
/// </summary>
public sealed class PymemcacheNodesTests
{
    private const int Keys = 2000;

    private static readonly string UnitTests = Path.Combine(RepoPaths.Root, "tests", "CacheBus.UnitTests", "Memcached");

    // Ranges without whitespace (pymemcache refuses any key str.split() would cut) or controls, in and beyond the BMP.
    private static readonly (int First, int Last)[] Alphabet =
        [(0x21, 0x7e), (0x21, 0x7e), (0xc0, 0x24f), (0x370, 0x3ff), (0x4e00, 0x9fff), (0xac00, 0xd7a3), (0x1d400, 0x1d7ff), (0x1f300, 0x1f64f)];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Generator_RunNow_WritesTheCommittedVectors()
    {
        var fresh = await DebianPython.RunAsync(Path.Combine(UnitTests, "pymemcache_nodes.py"), [], "", Cancel);

        Assert.Equal(await File.ReadAllTextAsync(Path.Combine(UnitTests, "pymemcache_nodes.tsv"), Cancel), fresh);
    }

    [Fact]
    public async Task NodeOf_KeysDrawnThisRunOverTwoAndThreeNodes_IsTheNodeDjangosClientPicks()
    {
        var seed = Random.Shared.Next();
        var random = new Random(seed);
        var keys = Enumerable.Range(0, Keys).Select(_ => Key(random)).ToList();
        string[][] sets =
        [
            [$"127.0.0.1:{random.Next(1024, 65536)}", $"127.0.0.1:{random.Next(1024, 65536)}"],
            [$"cache-{random.Next(100)}.internal:11211", $"10.{random.Next(256)}.{random.Next(256)}.{random.Next(256)}:11211", $"[fd00::{random.Next(65536):x}]:{random.Next(1024, 65536)}"],
        ];

        foreach (var servers in sets)
        {
            await using var client = new MemcachedClient(new MemcachedClientOptions { Servers = servers }, TimeProvider.System);
            var django = await DjangoCacheScript.RunAsync(JsonSerializer.Serialize(new { LOCATION = servers }), "node", keys, Cancel);

            var wrong = keys.Where((key, i) => client.NodeOf(key).ToString() != servers[int.Parse(django[i], CultureInfo.InvariantCulture)]).ToList();

            Assert.True(wrong.Count == 0, $"seed {seed}: {wrong.Count} of {Keys} keys on another node than Django's over {string.Join(',', servers)}, e.g. {string.Join(' ', wrong.Take(3))}");
        }
    }

    // 1 to 250 UTF-8 bytes: pymemcache refuses longer keys.
    private static string Key(Random random)
    {
        var key = new StringBuilder();
        var bytes = 0;
        for (var length = random.Next(1, 120); length > 0; length--)
        {
            var (first, last) = Alphabet[random.Next(Alphabet.Length)];
            var rune = new Rune(random.Next(first, last + 1));
            if (bytes + rune.Utf8SequenceLength > MemcachedKey.MaxBytes)
            {
                break;
            }

            key.Append(rune.ToString());
            bytes += rune.Utf8SequenceLength;
        }

        return key.ToString();
    }
}
