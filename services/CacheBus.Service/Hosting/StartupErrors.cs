using Microsoft.Extensions.Options;

namespace CacheBus.Service;

/// <summary>Recognises the errors that mean "the configuration is wrong", so start-up can report them plainly.</summary>
public static class StartupErrors
{
    /// <summary>Every configuration failure in <paramref name="error"/>, or null when it is some other failure.</summary>
    public static IReadOnlyList<string>? ConfigurationFailures(Exception error) => error switch
    {
        OptionsValidationException validation => [.. validation.Failures],
        CacheBusConfigurationException configuration => configuration.Failures,
        AggregateException aggregate when aggregate.InnerExceptions.Select(ConfigurationFailures).ToList() is var inner
            && inner.All(f => f is not null) => [.. inner.SelectMany(f => f!)],

        // The binder's own wording already names the setting: "Failed to convert configuration value 'x' at 'path'".
        InvalidOperationException conversion when conversion.Message.StartsWith("Failed to convert configuration value", StringComparison.Ordinal)
            => [conversion.Message],
        _ => null,
    };
}
