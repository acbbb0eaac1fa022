namespace CacheBus.Service.Memcached;

/// <summary>
/// memcached answered with an error (<c>CLIENT_ERROR</c>, <c>SERVER_ERROR</c>, <c>ERROR</c>; the message carries the
/// server's line), answered something this client does not expect, or could not be reached.
/// </summary>
public sealed class MemcachedException : Exception
{
    public MemcachedException()
    {
    }

    public MemcachedException(string message)
        : base(message)
    {
    }

    public MemcachedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
