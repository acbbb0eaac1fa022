using CacheBus.Service.Replication;

namespace CacheBus.UnitTests.Replication;

// pg_current_snapshot()'s text: xmin:xmax:in-progress ids, 64-bit (epoch in the high half).
public sealed class CommitVisibilityTests
{
    [Theory]
    [InlineData("741:745:741,743", 743u, true)]
    [InlineData("741:745:741,743", 744u, false)]
    [InlineData("745:745:", 743u, false)]
    [InlineData("8589935590:8589935600:8589935591", 999u, true)] // epoch 2: 2 * 2^32 + 999
    public void StillRunning_ComparesTheLow32BitsOfTheInProgressIds(string snapshot, uint xid, bool running) =>
        Assert.Equal(running, CommitVisibility.StillRunning(snapshot, [xid]));
}
