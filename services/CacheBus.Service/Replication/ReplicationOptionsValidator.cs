using System.Text.RegularExpressions;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Replication;

/// <summary>Every failure names the setting's path, as an operator would write it in appsettings or the environment.</summary>
internal sealed partial class ReplicationOptionsValidator : IValidateOptions<ReplicationOptions>
{
    public ValidateOptionsResult Validate(string? name, ReplicationOptions options)
    {
        const string path = ReplicationOptions.Section;
        var failures = new List<string>();
        if (!SlotName().IsMatch(options.SlotName))
        {
            failures.Add($"{path}:SlotName: '{options.SlotName}' must be 1 to 63 lower-case letters, digits or underscores");
        }

        if (!Identifier().IsMatch(options.PublicationName))
        {
            failures.Add($"{path}:PublicationName: '{options.PublicationName}' must be a plain PostgreSQL identifier");
        }

        if (options.MaxBatchSize is < 1 or > 10_000)
        {
            failures.Add($"{path}:MaxBatchSize: {options.MaxBatchSize} must be between 1 and 10000");
        }

        if (options.MaxMessageBytes is < 1024 or > 64 * 1024 * 1024)
        {
            failures.Add($"{path}:MaxMessageBytes: {options.MaxMessageBytes} must be between 1024 and 67108864");
        }

        if (options.BatchLinger < TimeSpan.Zero || options.BatchLinger > TimeSpan.FromSeconds(1))
        {
            failures.Add($"{path}:BatchLinger: {options.BatchLinger} must be between 00:00:00 (off) and 00:00:01");
        }

        if (options.MaxPublishesInFlight is < 1 or > 1_000)
        {
            failures.Add($"{path}:MaxPublishesInFlight: {options.MaxPublishesInFlight} must be between 1 and 1000");
        }

        if (options.StatusInterval < TimeSpan.FromMilliseconds(100) || options.StatusInterval > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{path}:StatusInterval: {options.StatusInterval} must be between 00:00:00.1 and 00:10:00");
        }

        if (options.PublishTimeout < TimeSpan.FromMilliseconds(100) || options.PublishTimeout > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{path}:PublishTimeout: {options.PublishTimeout} must be between 00:00:00.1 and 00:10:00");
        }

        if (options.HeartbeatInterval < TimeSpan.Zero || options.HeartbeatInterval > TimeSpan.FromHours(1))
        {
            failures.Add($"{path}:HeartbeatInterval: {options.HeartbeatInterval} must be between 00:00:00 (off) and 01:00:00");
        }

        if (options.MaxReconnectDelay < TimeSpan.FromMilliseconds(100) || options.MaxReconnectDelay > TimeSpan.FromMinutes(10))
        {
            failures.Add($"{path}:MaxReconnectDelay: {options.MaxReconnectDelay} must be between 00:00:00.1 and 00:10:00");
        }

        if (options.OnSlotLost == SlotLostRecovery.FlushPrefixes && (options.FlushPrefixes.Count == 0 || options.FlushPrefixes.Any(string.IsNullOrWhiteSpace)))
        {
            failures.Add($"{path}:FlushPrefixes: OnSlotLost = FlushPrefixes needs at least one Redis key pattern, none empty (for example ':1:*')");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    [GeneratedRegex("^[a-z0-9_]{1,63}$")]
    private static partial Regex SlotName();

    [GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,62}$")]
    private static partial Regex Identifier();
}
