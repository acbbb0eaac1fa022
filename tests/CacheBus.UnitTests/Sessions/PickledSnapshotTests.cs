using CacheBus.Service.Sessions;

namespace CacheBus.UnitTests.Sessions;

/// <summary>The pickles here were written by Python 3.11's pickle module (protocols 5 and 2) for the same dict.</summary>
public sealed class PickledSnapshotTests
{
    private static readonly Dictionary<string, string?> Snapshot = new()
    {
        ["display_name"] = "Ada Lovelace ✓",
        ["_lsn"] = "0/16B3748",
        ["bio"] = null,
    };

    [Theory]
    [InlineData("80059541000000000000007d94288c0c646973706c61795f6e616d65948c10416461204c6f76656c61636520e29c93948c045f6c736e948c09302f31364233373438948c0362696f944e752e")]
    [InlineData("80027d710028580c000000646973706c61795f6e616d6571015810000000416461204c6f76656c61636520e29c93710258040000005f6c736e71035809000000302f313642333734387104580300000062696f71054e752e")]
    public void Read_PythonPickle_YieldsTheDict(string hex)
    {
        Assert.Equal(Snapshot, PickledSnapshot.Read(Convert.FromHexString(hex)));
    }

    [Fact]
    public void Write_ThenRead_RoundTrips()
    {
        Assert.Equal(Snapshot, PickledSnapshot.Read(PickledSnapshot.Write(Snapshot)));
    }

    [Fact]
    public void Write_Dict_IsTheProtocol2PickleWithoutMemo()
    {
        var pickle = PickledSnapshot.Write(new Dictionary<string, string?> { ["a"] = "b", ["c"] = null });

        Assert.Equal("80027d28580100000061580100000062580100000063" + "4e752e", Convert.ToHexStringLower(pickle));
    }

    [Theory]
    [InlineData("80024b2a2e")]   // the int 42
    [InlineData("80025d71002e")] // a list
    [InlineData("80027d28")]     // truncated
    [InlineData("80027d2858050000006162")] // truncated inside a BINUNICODE string
    [InlineData("80027d28580500")]         // truncated inside a BINUNICODE length
    [InlineData("80027d288c056162")]       // truncated inside a SHORT_BINUNICODE string
    [InlineData("80027d288c")]             // truncated before a SHORT_BINUNICODE length
    public void Read_OtherPickles_AreRefused(string hex)
    {
        Assert.Throws<FormatException>(() => PickledSnapshot.Read(Convert.FromHexString(hex)));
    }
}
