namespace CacheBus.Service.Memcached;

/// <summary>
/// The node of a key, as Django's PyMemcacheCache finds it: Django 3.2 builds pymemcache's <c>HashClient</c>, whose
/// default hasher (pymemcache/client/rendezvous.py) scores every node by <see cref="Murmur3.PymemcacheHash"/> of
/// <c>"&lt;node name&gt;-&lt;key&gt;"</c> and takes the highest. Node names are <see cref="MemcachedEndpoint.NodeName"/>.
/// The order of the nodes does not matter; their spelling does (<c>localhost:11211</c> is not <c>127.0.0.1:11211</c>).
/// </summary>
internal sealed class RendezvousHash(IReadOnlyList<string> nodes)
{
    public int Pick(string key)
    {
        var winner = 0;
        var best = -1L;
        for (var i = 0; i < nodes.Count; i++)
        {
            long score = Murmur3.PymemcacheHash($"{nodes[i]}-{key}");

            // pymemcache gives a tie to max(str(node), str(winner)). Ordinal order is Python's code point order for
            // anything short of characters beyond U+FFFF, which no host name holds.
            if (score > best || (score == best && string.CompareOrdinal(nodes[i], nodes[winner]) > 0))
            {
                (best, winner) = (score, i);
            }
        }

        return winner;
    }
}
