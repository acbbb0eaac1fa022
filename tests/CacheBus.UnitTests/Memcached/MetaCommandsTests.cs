using CacheBus.Service.Memcached;

namespace CacheBus.UnitTests.Memcached;

public sealed class MetaCommandsTests
{
    [Fact]
    public void Get_AsksForValueFlagsCasAndTtl()
    {
        Assert.Equal("mg :1:django.contrib.sessions.cacheabc v f c t\r\n", MetaCommands.Get(":1:django.contrib.sessions.cacheabc"));
    }

    [Fact]
    public void Set_WithoutCas_CarriesLengthTtlAndFlags()
    {
        Assert.Equal("ms k 5 T60 F16\r\n", MetaCommands.Set("k", 5, 16, 60, cas: null));
    }

    [Fact]
    public void Set_WithCas_AddsTheCompareToken()
    {
        Assert.Equal("ms k 0 T0 F4294967295 C123\r\n", MetaCommands.Set("k", 0, uint.MaxValue, 0, cas: 123));
    }

    [Fact]
    public void Delete_WithAndWithoutCas_AddsTheCompareTokenOnlyWhenGiven()
    {
        Assert.Equal("md k\r\n", MetaCommands.Delete("k", cas: null));
        Assert.Equal("md k C18446744073709551615\r\n", MetaCommands.Delete("k", cas: ulong.MaxValue));
    }

    [Fact]
    public void Touch_IsAMetaGetWithOnlyANewTtl()
    {
        Assert.Equal("mg k T1209600\r\n", MetaCommands.Touch("k", 1_209_600));
    }

    [Fact]
    public void QuietCommands_CarryQuietFlagAndOpaqueToken()
    {
        Assert.Equal("md k q O7\r\n", MetaCommands.QuietDelete("k", 7));
        Assert.Equal("mg k T30 q O8\r\n", MetaCommands.QuietTouch("k", 30, 8));
    }

    [Fact]
    public void PipelineRequest_NumbersCommandsAndEndsWithNoOp()
    {
        var request = MetaPipeline.Request(["a", "b"], MetaCommands.QuietDelete);

        Assert.Equal("md a q O0\r\nmd b q O1\r\nmn\r\n", request);
    }
}
