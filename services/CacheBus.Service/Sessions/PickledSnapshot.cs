using System.Buffers.Binary;
using System.Text;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Reads and writes the one shape of Python pickle CacheBus shares with Django: a dict of str to str or None, the
/// profile snapshot. Django's memcached backend stores pickles with client flag 1 and loads any protocol; Python
/// writes protocol 5 (frames, memo), CacheBus writes protocol 2, both read here. Anything else is refused, never
/// guessed at.
/// </summary>
internal static class PickledSnapshot
{
    public const int MemcachedFlags = 1; // pymemcache: FLAG_PICKLE

    private const byte Proto = 0x80, Frame = 0x95, EmptyDict = (byte)'}', Mark = (byte)'(', BinUnicode = (byte)'X';
    private const byte ShortBinUnicode = 0x8c, None = (byte)'N', SetItem = (byte)'s', SetItems = (byte)'u', Stop = (byte)'.';
    private const byte BinPut = (byte)'q', LongBinPut = (byte)'r', Memoize = 0x94;

    public static byte[] Write(IReadOnlyDictionary<string, string?> snapshot)
    {
        using var pickle = new MemoryStream();
        pickle.Write([Proto, 2, EmptyDict, Mark]);
        foreach (var (key, value) in snapshot)
        {
            WriteString(pickle, key);
            if (value is null)
            {
                pickle.WriteByte(None);
            }
            else
            {
                WriteString(pickle, value);
            }
        }

        pickle.Write([SetItems, Stop]);
        return pickle.ToArray();
    }

    public static Dictionary<string, string?> Read(ReadOnlySpan<byte> pickle)
    {
        var result = new Dictionary<string, string?>(StringComparer.Ordinal);
        var stack = new List<string?>();
        var dictSeen = false;
        for (var i = 0; i < pickle.Length;)
        {
            var op = pickle[i++];
            switch (op)
            {
                case Proto: i += 1; break;
                case Frame: i += 8; break;
                case BinPut: i += 1; break;
                case LongBinPut: i += 4; break;
                case Memoize: break;
                case Mark: stack.Clear(); break;
                case EmptyDict when !dictSeen: dictSeen = true; break;
                case None: stack.Add(null); break;
                case BinUnicode:
                    var length = BinaryPrimitives.ReadUInt32LittleEndian(Take(pickle, i, 4));
                    stack.Add(Encoding.UTF8.GetString(Take(pickle, i + 4, length)));
                    i += 4 + (int)length;
                    break;
                case ShortBinUnicode:
                    var shortLength = Take(pickle, i, 1)[0];
                    stack.Add(Encoding.UTF8.GetString(Take(pickle, i + 1, shortLength)));
                    i += 1 + shortLength;
                    break;
                case SetItem or SetItems when stack.Count % 2 == 0:
                    for (var p = 0; p < stack.Count; p += 2)
                    {
                        result[stack[p] ?? throw new FormatException("a snapshot key is None")] = stack[p + 1];
                    }

                    stack.Clear();
                    break;
                case Stop when dictSeen && stack.Count == 0:
                    return result;
                default:
                    throw new FormatException($"not a snapshot pickle: opcode 0x{op:x2} at {i - 1}");
            }
        }

        throw new FormatException("not a snapshot pickle: no STOP");
    }

    // A pickle cut short (a partial write, a value from elsewhere) is refused like any other shape, never read past.
    private static ReadOnlySpan<byte> Take(ReadOnlySpan<byte> pickle, int at, uint count) =>
        count <= (uint)(pickle.Length - at)
            ? pickle.Slice(at, (int)count)
            : throw new FormatException($"not a snapshot pickle: truncated at {at} ({count} bytes wanted, {pickle.Length - at} left)");

    private static void WriteString(Stream pickle, string text)
    {
        var bytes = Encoding.UTF8.GetBytes(text);
        Span<byte> length = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32LittleEndian(length, (uint)bytes.Length);
        pickle.WriteByte(BinUnicode);
        pickle.Write(length);
        pickle.Write(bytes);
    }
}
