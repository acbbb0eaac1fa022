using MassTransit;

namespace CacheBus.Service;

/// <summary>
/// Completes once the bus and every receive endpoint are ready. The hosted services start concurrently (so the
/// catalog checks and the slot overlap the broker's handshake and topology instead of following them); the listener
/// awaits this before it reads the first change, so nothing is published before the consumers' queues exist.
/// </summary>
internal sealed class BusStarted : IBusObserver
{
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Ready => _ready.Task;

    public Task PostStart(IBus bus, Task<BusReady> busReady)
    {
        busReady.ContinueWith(_ => _ready.TrySetResult(), CancellationToken.None, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);
        return Task.CompletedTask;
    }

    public void PostCreate(IBus bus)
    {
    }

    public void CreateFaulted(Exception exception)
    {
    }

    public Task PreStart(IBus bus) => Task.CompletedTask;

    public Task StartFaulted(IBus bus, Exception exception) => Task.CompletedTask;

    public Task PreStop(IBus bus) => Task.CompletedTask;

    public Task PostStop(IBus bus) => Task.CompletedTask;

    public Task StopFaulted(IBus bus, Exception exception) => Task.CompletedTask;
}
