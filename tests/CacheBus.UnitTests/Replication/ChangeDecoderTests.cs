using System.Buffers.Binary;
using System.Text;
using System.Threading.Channels;
using CacheBus.Contracts;
using CacheBus.Service.Replication;
using CacheBus.Service.Rules;

namespace CacheBus.UnitTests.Replication;

/// <summary>pgoutput messages as PostgreSQL writes them (protocol 1), built byte by byte, through the listener's decoder.</summary>
public sealed class ChangeDecoderTests
{
    private static readonly TableSchema Products = new(
        new TableName("public", "products"), ["id", "category_id", "description"], ["id"], "FULL", ["id", "category_id", "description"])
    {
        Decoded = new HashSet<string>(["id", "category_id"], StringComparer.Ordinal),
    };

    [Fact]
    public async Task Update_OldAndNewRow_OnlyTheDecodedColumnsAreRead_AndTheCommitIsReported()
    {
        var items = await DecodeAsync(
            Relation(16384, "public", "products", ("id", true), ("category_id", false), ("description", false)),
            Begin(finalLsn: 0x16B3748, xid: 731),
            Update(16384, old: [Text("42"), Text("7"), Text("long text")], @new: [Text("42"), Text("9"), Unchanged()]),
            Commit(endLsn: 0x16B3800));

        var change = Assert.Single(items, i => i.Change is not null).Change!;
        Assert.Equal((RowOperation.Update, "0/16B3748", 731u, 0), (change.Operation, change.CommitLsn, change.TransactionId, change.Position));
        Assert.Equal(Rows.Of(("id", "42"), ("category_id", "7")), change.OldValues);
        Assert.Equal(Rows.Of(("id", "42"), ("category_id", "9")), change.NewValues);
        Assert.Equal(Rows.Of(("id", "42")), change.Key);
        Assert.Empty(change.UnchangedToastColumns); // description is not decoded, so not reported either
        Assert.Equal(["category_id"], change.ChangedColumns);
        Assert.Equal(new NpgsqlTypes.NpgsqlLogSequenceNumber(0x16B3800), items[^1].CommitEnd);
    }

    [Fact]
    public async Task DeleteByKey_NullForTheOtherColumns_GivesOnlyTheKey()
    {
        var items = await DecodeAsync(
            Relation(16384, "public", "products", ("id", true), ("category_id", false), ("description", false)),
            Begin(1, 1),
            Delete(16384, 'K', [Text("42"), Null(), Null()]));

        var change = Assert.Single(items).Change!;
        Assert.Equal(RowOperation.Delete, change.Operation);
        Assert.Equal(Rows.Of(("id", "42")), change.OldValues);
    }

    [Fact]
    public async Task TableWithoutRules_AndTruncateOfBoth_OnlyThePublishedOneCounts()
    {
        var items = await DecodeAsync(
            Relation(16384, "public", "products", ("id", true), ("category_id", false), ("description", false)),
            Relation(16390, "public", "audit", ("id", true)),
            Begin(1, 1),
            Insert(16390, [Text("1")]),
            Truncate(16384, 16390));

        Assert.Equal([RowOperation.Truncate], items.Select(i => i.Change!.Operation));
    }

    [Fact]
    public async Task Intent_UnderTheCacheBusPrefix_IsReadWithTheCommitLsn_OthersAreIgnored()
    {
        var items = await DecodeAsync(
            Begin(finalLsn: 0x2000, xid: 5),
            Message("cachebus-heartbeat", "{}"),
            Message("cachebus", """{"keys": [":1:stats:7"], "tags": [], "namespaces": [], "revokeSessionsOf": []}"""),
            Message("cachebus", "{not json"));

        Assert.Equal([":1:stats:7"], items[0].Intent!.Keys);
        Assert.Equal(("0/2000", null), (items[0].Intent!.CommitLsn, items[0].Intent!.Malformed));
        Assert.Contains("{not json", items[1].Intent!.Malformed, StringComparison.Ordinal);
    }

    private static async Task<List<StreamItem>> DecodeAsync(params byte[][] messages)
    {
        var decoder = new ChangeDecoder(new Dictionary<TableName, TableSchema> { [Products.Name] = Products });
        var channel = Channel.CreateUnbounded<StreamItem>();
        foreach (var message in messages)
        {
            await decoder.DecodeAsync(message, channel.Writer, TestContext.Current.CancellationToken);
        }

        channel.Writer.Complete();
        return await channel.Reader.ReadAllAsync(TestContext.Current.CancellationToken).ToListAsync(TestContext.Current.CancellationToken);
    }

    private static byte[] Relation(int id, string ns, string name, params (string Column, bool Key)[] columns) => Bytes(w =>
    {
        w.Byte('R').Int32(id).String(ns).String(name).Byte('f').Int16(columns.Length);
        foreach (var (column, key) in columns)
        {
            w.Byte(key ? 1 : 0).String(column).Int32(25).Int32(-1); // text
        }
    });

    private static byte[] Begin(long finalLsn, int xid) => Bytes(w => w.Byte('B').Int64(finalLsn).Int64(0).Int32(xid));

    private static byte[] Commit(long endLsn) => Bytes(w => w.Byte('C').Byte(0).Int64(endLsn - 8).Int64(endLsn).Int64(0));

    private static byte[] Insert(int relation, Action<Writer>[] row) => Bytes(w => w.Byte('I').Int32(relation).Byte('N').Tuple(row));

    private static byte[] Update(int relation, Action<Writer>[] old, Action<Writer>[] @new) =>
        Bytes(w => w.Byte('U').Int32(relation).Byte('O').Tuple(old).Byte('N').Tuple(@new));

    private static byte[] Delete(int relation, char kind, Action<Writer>[] row) => Bytes(w => w.Byte('D').Int32(relation).Byte(kind).Tuple(row));

    private static byte[] Truncate(params int[] relations) => Bytes(w =>
    {
        w.Byte('T').Int32(relations.Length).Byte(0);
        foreach (var relation in relations)
        {
            w.Int32(relation);
        }
    });

    private static byte[] Message(string prefix, string content) =>
        Bytes(w => w.Byte('M').Byte(1).Int64(0).String(prefix).Int32(Encoding.UTF8.GetByteCount(content)).Raw(Encoding.UTF8.GetBytes(content)));

    private static Action<Writer> Text(string value) => w => w.Byte('t').Int32(Encoding.UTF8.GetByteCount(value)).Raw(Encoding.UTF8.GetBytes(value));

    private static Action<Writer> Null() => w => w.Byte('n');

    private static Action<Writer> Unchanged() => w => w.Byte('u');

    private static byte[] Bytes(Action<Writer> write)
    {
        var writer = new Writer();
        write(writer);
        return [.. writer.Output];
    }

    /// <summary>Network byte order, NUL-terminated strings: the protocol's encoding.</summary>
    private sealed class Writer
    {
        public List<byte> Output { get; } = [];

        public Writer Byte(int value)
        {
            Output.Add((byte)value);
            return this;
        }

        public Writer Int16(int value) => Raw(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness((short)value)));

        public Writer Int32(int value) => Raw(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(value)));

        public Writer Int64(long value) => Raw(BitConverter.GetBytes(BinaryPrimitives.ReverseEndianness(value)));

        public Writer String(string value) => Raw([.. Encoding.UTF8.GetBytes(value), 0]);

        public Writer Tuple(Action<Writer>[] columns)
        {
            Int16(columns.Length);
            foreach (var column in columns)
            {
                column(this);
            }

            return this;
        }

        public Writer Raw(byte[] bytes)
        {
            Output.AddRange(bytes);
            return this;
        }
    }
}
