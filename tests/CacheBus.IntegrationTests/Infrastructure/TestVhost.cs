namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// A RabbitMQ virtual host of its own, for a test whose service must not meet other tests' queues: CacheBus's queue
/// names are fixed, and a queue whose consumer is off keeps collecting messages on the shared vhost (hundreds of
/// fragment warms, for one), which a service that does consume it would first have to work through.
/// </summary>
internal sealed class TestVhost : IAsyncDisposable
{
    private readonly string _name = $"cachebus-test-{Guid.NewGuid():N}";

    private TestVhost()
    {
    }

    /// <summary>Servers.RabbitMq, on this vhost.</summary>
    public string Url => new UriBuilder(Servers.RabbitMq) { Path = "/" + _name }.Uri.ToString();

    public static async Task<TestVhost> CreateAsync()
    {
        var vhost = new TestVhost();
        var user = Uri.UnescapeDataString(new Uri(Servers.RabbitMq).UserInfo.Split(':')[0]);
        await RabbitMqCtl.RunAsync("add_vhost", vhost._name);
        await RabbitMqCtl.RunAsync("set_permissions", "-p", vhost._name, user, ".*", ".*", ".*");
        return vhost;
    }

    public async ValueTask DisposeAsync() => await RabbitMqCtl.RunAsync("delete_vhost", _name);
}
