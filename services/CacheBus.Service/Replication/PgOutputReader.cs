using System.Buffers.Binary;
using System.Text;

namespace CacheBus.Service.Replication;

/// <summary>
/// Reads the fields of one pgoutput message (protocol version 1: network byte order, strings NUL-terminated), as
/// PostgreSQL documents them in "Logical Replication Message Formats". Out of bounds throws, as a cut-off message
/// must: it ends the session, which replays from the slot.
/// </summary>
internal ref struct PgOutputReader(ReadOnlySpan<byte> message)
{
    private readonly ReadOnlySpan<byte> _message = message;
    private int _at;

    public byte Byte() => _message[_at++];

    public short Int16()
    {
        var value = BinaryPrimitives.ReadInt16BigEndian(_message[_at..]);
        _at += 2;
        return value;
    }

    public int Int32()
    {
        var value = BinaryPrimitives.ReadInt32BigEndian(_message[_at..]);
        _at += 4;
        return value;
    }

    public long Int64()
    {
        var value = BinaryPrimitives.ReadInt64BigEndian(_message[_at..]);
        _at += 8;
        return value;
    }

    /// <summary>PostgreSQL's timestamps count microseconds from 2000-01-01 UTC.</summary>
    public DateTimeOffset Timestamp() => PostgresEpoch.AddTicks(Int64() * TimeSpan.TicksPerMicrosecond);

    public string String()
    {
        var length = _message[_at..].IndexOf((byte)0);
        var value = Encoding.UTF8.GetString(_message.Slice(_at, length));
        _at += length + 1;
        return value;
    }

    public ReadOnlySpan<byte> Bytes(int length)
    {
        var value = _message.Slice(_at, length);
        _at += length;
        return value;
    }

    public void Skip(int length) => _at += length;

    private static readonly DateTimeOffset PostgresEpoch = new(2000, 1, 1, 0, 0, 0, TimeSpan.Zero);
}
