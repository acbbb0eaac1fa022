namespace CacheBus.Service;

/// <summary>Configuration that passed the static checks but contradicts the servers (a table that does not exist).</summary>
public sealed class CacheBusConfigurationException(IReadOnlyList<string> failures)
    : Exception(string.Join(Environment.NewLine, failures))
{
    public IReadOnlyList<string> Failures { get; } = failures;
}
