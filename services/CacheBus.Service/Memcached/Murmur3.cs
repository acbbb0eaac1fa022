using System.Buffers.Binary;
using System.Numerics;

namespace CacheBus.Service.Memcached;

/// <summary>
/// MurmurHash3 x86 32-bit, the hash pymemcache's rendezvous hasher scores nodes with
/// (pymemcache/client/murmur3.py, seed 0 as <see cref="RendezvousHash"/> uses it).
/// </summary>
internal static class Murmur3
{
    private const uint C1 = 0xcc9e2d51, C2 = 0x1b873593;

    /// <summary>
    /// pymemcache's <c>murmur3_32(text)</c>. It hashes a Python str, not its UTF-8 bytes: each code point counts as one
    /// byte, <c>ord(c) &amp; 0xff</c>, and the length is the number of code points. So "é" hashes as 0xE9, "€" (U+20AC)
    /// as 0xAC, "😀" as one 0x00. (It skips the mask on the top byte of a block and never cuts its Python ints to 32
    /// bits until the end; higher bits never flow down into the low 32, so the result is this 32-bit arithmetic.)
    /// The caller passes valid UTF-16: memcached keys are checked first.
    /// </summary>
    public static uint PymemcacheHash(string text)
    {
        var buffer = text.Length <= 512 ? stackalloc byte[text.Length] : new byte[text.Length];
        var length = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            buffer[length++] = (byte)rune.Value;
        }

        return Hash32(buffer[..length], seed: 0);
    }

    public static uint Hash32(ReadOnlySpan<byte> data, uint seed)
    {
        var h = seed;
        var blocks = data.Length & ~3;
        for (var i = 0; i < blocks; i += 4)
        {
            h ^= Mix(BinaryPrimitives.ReadUInt32LittleEndian(data[i..]));
            h = (BitOperations.RotateLeft(h, 13) * 5) + 0xe6546b64;
        }

        var tail = 0u;
        switch (data.Length & 3)
        {
            case 3:
                tail |= (uint)data[blocks + 2] << 16;
                goto case 2;
            case 2:
                tail |= (uint)data[blocks + 1] << 8;
                goto case 1;
            case 1:
                tail |= data[blocks];
                h ^= Mix(tail);
                break;
        }

        h ^= (uint)data.Length;
        h ^= h >> 16;
        h *= 0x85ebca6b;
        h ^= h >> 13;
        h *= 0xc2b2ae35;
        return h ^ (h >> 16);
    }

    private static uint Mix(uint k) => BitOperations.RotateLeft(k * C1, 15) * C2;
}
