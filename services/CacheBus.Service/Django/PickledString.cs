using System.Buffers.Binary;
using System.Text;

namespace CacheBus.Service.Django;

/// <summary>
/// A Python str as django-redis stores it: pickled (protocol 2: PROTO 2, BINUNICODE, STOP). Django's
/// <c>{% cache %}</c> tag stores the rendered fragment as a str and outputs it as it is.
/// </summary>
internal static class PickledString
{
    public static byte[] Write(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var pickle = new byte[2 + 1 + 4 + utf8.Length + 1];
        pickle[0] = 0x80;
        pickle[1] = 2;
        pickle[2] = (byte)'X';
        BinaryPrimitives.WriteUInt32LittleEndian(pickle.AsSpan(3), (uint)utf8.Length);
        utf8.CopyTo(pickle.AsSpan(7));
        pickle[^1] = (byte)'.';
        return pickle;
    }
}
