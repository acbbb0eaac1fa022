using System.Text;
using CacheBus.Service.Redis;

namespace CacheBus.UnitTests.Redis;

// The same vectors as services/cachebus-django/tests/test_leases.py: the backend and CacheBus must name one key.
public sealed class LeaseKeysTests
{
    [Theory]
    [InlineData("shop:2:product:7", "cachebus:lease:{shop:2:product:7}")]
    [InlineData("shop:2:{user:7}:cart", "cachebus:lease:shop:2:{user:7}:cart")]
    [InlineData("a{}b", "cachebus:lease:a{}b")]
    [InlineData("a}b", "cachebus:lease:a}b")]
    public void For_FollowsTheBackendsRule(string key, string lease) => Assert.Equal(lease, LeaseKeys.For(key));

    [Theory]
    [InlineData("shop:2:product:7")]
    [InlineData("shop:2:{user:7}:cart")]
    [InlineData(":1:views.decorators.cache.cache_header..0cc175b9c0f1b6a831c399e269772661.en-us.UTC")]
    public void For_AKeyWithoutBracesOrWithAHashTag_HashesToTheKeysClusterSlot(string key)
        => Assert.Equal(KeySlot(key), KeySlot(LeaseKeys.For(key)));

    [Fact]
    public void KeySlot_MatchesTheClusterSpecification() => Assert.Equal(12182, KeySlot("foo")); // CLUSTER KEYSLOT foo

    // The cluster specification's rule, written out here as the oracle: CRC16 (XMODEM) of the hash tag, when the key
    // has a non-empty one, else of the whole key, modulo 16384.
    private static int KeySlot(string key)
    {
        var open = key.IndexOf('{');
        var close = open < 0 ? -1 : key.IndexOf('}', open + 1);
        var hashed = close > open + 1 ? key[(open + 1)..close] : key;
        ushort crc = 0;
        foreach (var b in Encoding.UTF8.GetBytes(hashed))
        {
            crc ^= (ushort)(b << 8);
            for (var bit = 0; bit < 8; bit++)
            {
                crc = (crc & 0x8000) != 0 ? (ushort)((crc << 1) ^ 0x1021) : (ushort)(crc << 1);
            }
        }

        return crc % 16384;
    }
}
