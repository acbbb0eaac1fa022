using Microsoft.Extensions.Hosting;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>A host lifetime that never stops, for the parts a test builds without a host (the fragment warmer).</summary>
internal sealed class TestLifetime : IHostApplicationLifetime
{
    public CancellationToken ApplicationStarted => CancellationToken.None;

    public CancellationToken ApplicationStopping => CancellationToken.None;

    public CancellationToken ApplicationStopped => CancellationToken.None;

    public void StopApplication()
    {
    }
}
