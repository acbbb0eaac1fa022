using CacheBus.Service.Horizon;
using System.Threading.Channels;
using CacheBus.Contracts;
using CacheBus.Service.Replication;
using CacheBus.Service.Rules;
using MassTransit;
using MassTransit.Testing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using NpgsqlTypes;
using static CacheBus.UnitTests.Rules.TestRules;

namespace CacheBus.UnitTests.Replication;

/// <summary>
/// When messages leave: under a stream of small transactions at most one per <c>BatchLinger</c>, after a quiet moment at
/// once. The clock is a <see cref="FakeTimeProvider"/>, so "held" means held until the test moves time, not a race.
/// </summary>
public sealed class BatchPublisherTests : IAsyncLifetime
{
    private static readonly RuleSet Shop = For(("products", ["product:{id}"]));

    private readonly FakeTimeProvider _time = new();
    private readonly Channel<StreamItem> _channel = Channel.CreateUnbounded<StreamItem>();
    private readonly List<NpgsqlLogSequenceNumber> _confirmed = [];
    private readonly CancellationTokenSource _stop = new();
    private ServiceProvider _provider = null!;
    private ITestHarness _harness = null!;
    private Task _running = Task.CompletedTask;

    public async ValueTask InitializeAsync()
    {
        _provider = new ServiceCollection().AddMassTransitTestHarness().BuildServiceProvider(true);
        _harness = _provider.GetRequiredService<ITestHarness>();
        await _harness.Start();
    }

    public async ValueTask DisposeAsync()
    {
        _channel.Writer.TryComplete();
        await _stop.CancelAsync();
        await Task.WhenAny(_running, Task.Delay(TimeSpan.FromSeconds(5)));
        await _provider.DisposeAsync();
        _stop.Dispose();
    }

    [Fact]
    public async Task Linger_TheFirstTransactionLeavesAtOnce_TheNextOnesTogetherWhenItIsOver()
    {
        Start(TimeSpan.FromMilliseconds(2));

        await CommitAsync(100, "1");
        await ConfirmedAsync(100);
        Assert.Single(Published());

        await CommitAsync(200, "2");
        await CommitAsync(300, "3");
        await QuietAsync();
        Assert.Single(Published()); // held: the fake clock has not moved
        Assert.Equal([new NpgsqlLogSequenceNumber(100)], Confirmed());

        _time.Advance(TimeSpan.FromMilliseconds(2));
        await ConfirmedAsync(300);
        Assert.Equal([["product:1"], ["product:2", "product:3"]], Published().Select(m => m.Keys));

        // After a quiet moment a transaction does not wait.
        _time.Advance(TimeSpan.FromMilliseconds(5));
        await CommitAsync(400, "4");
        await ConfirmedAsync(400);
        Assert.Equal(3, Published().Count);
    }

    [Fact]
    public async Task Linger_Zero_EveryTransactionLeavesAlone()
    {
        Start(TimeSpan.Zero);

        foreach (var (end, id) in new[] { (100UL, "1"), (200UL, "2"), (300UL, "3") })
        {
            await CommitAsync(end, id);
            await ConfirmedAsync(end);
        }

        Assert.Equal([["product:1"], ["product:2"], ["product:3"]], Published().Select(m => m.Keys));
    }

    [Fact]
    public async Task Linger_AnIntentEndsIt_TheHeldKeysLeaveFirst()
    {
        Start(TimeSpan.FromSeconds(1));
        await CommitAsync(100, "1");
        await ConfirmedAsync(100);

        await CommitAsync(200, "2");
        await _channel.Writer.WriteAsync(StreamItem.Requested(new InvalidationRequested { Keys = ["page:/"] }, 7), TestContext.Current.CancellationToken);

        await ConfirmedAsync(200);
        Assert.Equal(2, Published().Count);
        Assert.True(await _harness.Published.Any<InvalidationRequested>(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Linger_ATransactionStillOpen_IsNotCutWhenTheLingerEnds()
    {
        Start(TimeSpan.FromMilliseconds(2));
        await CommitAsync(100, "1");
        await ConfirmedAsync(100);

        await CommitAsync(200, "2");
        await _channel.Writer.WriteAsync(StreamItem.Row(Product("3")), TestContext.Current.CancellationToken);
        await QuietAsync();
        _time.Advance(TimeSpan.FromMilliseconds(2));
        await QuietAsync();
        Assert.Single(Published()); // the open transaction's keys leave with their commit, together with the held ones

        await _channel.Writer.WriteAsync(StreamItem.Commit(new NpgsqlLogSequenceNumber(300), _time.GetUtcNow()), TestContext.Current.CancellationToken);
        await ConfirmedAsync(300);
        Assert.Equal([["product:1"], ["product:2", "product:3"]], Published().Select(m => m.Keys));
    }

    [Fact]
    public async Task Horizon_ATickFollowsAConfirmedCommit_AtMostOncePerHalfInterval()
    {
        Start(TimeSpan.Zero, horizon: TimeSpan.FromMilliseconds(50));
        var first = _time.GetUtcNow();
        await CommitAsync(100, "1");
        await ConfirmedAsync(100);
        var tick = Assert.Single(await TicksAsync(1));
        Assert.Equal((first, new NpgsqlLogSequenceNumber(100).ToString()), (tick.CommitTime, tick.CommitLsn));

        _time.Advance(TimeSpan.FromMilliseconds(10));
        await CommitAsync(200, "2");
        await ConfirmedAsync(200);
        await QuietAsync();
        Assert.Single(await TicksAsync(1)); // 10 ms after the last tick: the next confirm carries it

        _time.Advance(TimeSpan.FromMilliseconds(15));
        await CommitAsync(300, "3");
        await ConfirmedAsync(300);
        Assert.Equal(_time.GetUtcNow(), (await TicksAsync(2))[^1].CommitTime);
    }

    private async Task<List<HorizonAdvanced>> TicksAsync(int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        List<HorizonAdvanced> ticks;
        while ((ticks = [.. _harness.Published.Select<HorizonAdvanced>().Select(m => m.Context.Message)]).Count < atLeast)
        {
            Assert.True(DateTime.UtcNow < deadline, $"{ticks.Count} ticks published, {atLeast} expected");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        return ticks;
    }

    private void Start(TimeSpan linger, TimeSpan horizon = default)
    {
        var options = Options.Create(new ReplicationOptions { BatchLinger = linger });
        var publisher = new BatchPublisher(_harness.Bus, Shop, new ReplicationState(), options, Options.Create(new HorizonOptions { Interval = horizon }), _time, Microsoft.Extensions.Logging.Abstractions.NullLogger<BatchPublisher>.Instance);
        _running = Task.Run(() => publisher.RunAsync(_channel.Reader, Confirm, _stop.Token));
    }

    private void Confirm(NpgsqlLogSequenceNumber position)
    {
        lock (_confirmed)
        {
            _confirmed.Add(position);
        }
    }

    private List<NpgsqlLogSequenceNumber> Confirmed()
    {
        lock (_confirmed)
        {
            return [.. _confirmed];
        }
    }

    private List<KeysInvalidated> Published() =>
        [.. _harness.Published.Select<KeysInvalidated>().Select(m => m.Context.Message)];

    private async Task CommitAsync(ulong end, string id)
    {
        await _channel.Writer.WriteAsync(StreamItem.Row(Product(id)), TestContext.Current.CancellationToken);
        await _channel.Writer.WriteAsync(StreamItem.Commit(new NpgsqlLogSequenceNumber(end), _time.GetUtcNow()), TestContext.Current.CancellationToken);
    }

    private async Task ConfirmedAsync(ulong end)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!Confirmed().Contains(new NpgsqlLogSequenceNumber(end)))
        {
            Assert.False(_running.IsCompleted, $"the publisher stopped: {_running.Exception}");
            Assert.True(DateTime.UtcNow < deadline, $"{new NpgsqlLogSequenceNumber(end)} not confirmed; confirmed: {string.Join(", ", Confirmed())}");
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }
    }

    // Everything written has been read, and the publisher had time to act on it (it would publish within
    // microseconds; nothing it waits for moves in real time).
    private async Task QuietAsync()
    {
        while (_channel.Reader.Count > 0)
        {
            await Task.Delay(10, TestContext.Current.CancellationToken);
        }

        await Task.Delay(300, TestContext.Current.CancellationToken);
    }

    private static RowChange Product(string id) => Change("products", RowOperation.Update) with
    {
        Key = Rows.Of(("id", id)),
        OldValues = Rows.Of(("id", id), ("price", "1.00")),
        NewValues = Rows.Of(("id", id), ("price", "2.00")),
    };
}
