using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

/// <summary>CacheBus picks the node Django's PyMemcacheCache picks: checked against pymemcache's own answers.</summary>
public sealed class RendezvousHashTests
{
    private static readonly PymemcacheVectors Vectors = PymemcacheVectors.Committed;

    [Fact]
    public void PymemcacheHash_Texts_EqualsPymemcachesMurmur3()
    {
        Assert.NotEmpty(Vectors.Murmur3);
        Assert.Contains(Vectors.Murmur3, vector => vector.Text.Any(c => c > 0x7f));

        Assert.All(Vectors.Murmur3, vector => Assert.Equal(vector.Hash, Murmur3.PymemcacheHash(vector.Text)));
    }

    [Fact]
    public void NodeName_Servers_IsTheNameHashClientHashes()
    {
        Assert.Contains(Vectors.NodeNames, vector => vector.Server.StartsWith('['));

        Assert.All(Vectors.NodeNames, vector => Assert.Equal(vector.NodeName, Endpoint(vector.Server).NodeName));
    }

    [Fact]
    public async Task NodeOf_2000KeysOverTwoAndThreeNodes_IsTheNodePymemcachePicks()
    {
        Assert.Equal(2000, Vectors.Keys.Count);
        Assert.Equal([2, 3], Vectors.ServerSets.Select(set => set.Length));
        for (var set = 0; set < Vectors.ServerSets.Count; set++)
        {
            var servers = Vectors.ServerSets[set];
            await using var client = new MemcachedClient(new MemcachedClientOptions { Servers = servers }, TimeProvider.System);

            var wrong = Vectors.Keys.Where(vector => client.NodeOf(vector.Key) != Endpoint(servers[vector.Picked[set]])).Select(vector => vector.Key).ToList();

            Assert.True(wrong.Count == 0, $"{wrong.Count} of {Vectors.Keys.Count} keys on another node than pymemcache's over {string.Join(',', servers)}, e.g. {string.Join(' ', wrong.Take(3))}");
        }
    }

    [Fact]
    public void Pick_ScoresTie_TakesTheGreaterNameWhateverTheOrder()
    {
        Assert.Equal(2, Vectors.Ties.Count);

        Assert.All(Vectors.Ties, tie => Assert.Equal(tie.Picked, new RendezvousHash([.. tie.Servers.Select(s => Endpoint(s).NodeName)]).Pick(tie.Key)));
    }

    private static MemcachedEndpoint Endpoint(string server) =>
        MemcachedEndpoint.TryParse(server, out var endpoint) ? endpoint : throw new InvalidDataException(server);
}
