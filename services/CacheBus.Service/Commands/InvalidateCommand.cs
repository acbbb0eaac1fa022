using System.CommandLine;
using CacheBus.Service.Django;
using CacheBus.Service.Redis;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;
using StackExchange.Redis;

namespace CacheBus.Service.Commands;

/// <summary>
/// <c>invalidate</c>: the operator's manual override. Deletes keys, empties tags, bumps namespaces, or applies the
/// rules of a table to a row, exactly as the consumer would.
/// </summary>
internal static class InvalidateCommand
{
    public static Command Create()
    {
        var keys = new Option<string[]>("--key") { Description = "A cache key to delete (repeatable)" };
        var tags = new Option<string[]>("--tag") { Description = "A tag whose registered keys to delete (repeatable)" };
        var namespaces = new Option<string[]>("--namespace") { Description = "A namespace whose generation to bump (repeatable)" };
        var django = new Option<string?>("--django-cache") { Description = "Put --key, --tag and --namespace through this Django cache's key function" };
        var table = new Option<string?>("--table") { Description = "Apply this table's rules to --row" };
        var row = new Option<string?>("--row") { Description = "The row as a JSON object of column values (with --table)" };
        var command = new Command("invalidate", "Invalidate keys, tags, namespaces or a table row by hand")
        {
            keys, tags, namespaces, django, table, row,
        };
        command.SetAction((parse, ct) => RunAsync(
            new Request(parse.GetValue(keys) ?? [], parse.GetValue(tags) ?? [], parse.GetValue(namespaces) ?? [],
                parse.GetValue(django), parse.GetValue(table), parse.GetValue(row)),
            parse.InvocationConfiguration));
        return command;
    }

    private static async Task<int> RunAsync(Request request, InvocationConfiguration console)
    {
        using var host = CacheBusCommandLine.BuildHost();
        List<Target> targets;
        RedisInvalidator invalidator;
        try
        {
            targets = Targets(request, host.Services);
            invalidator = host.Services.GetRequiredService<RedisInvalidator>();
        }
        catch (ArgumentException ex)
        {
            await console.Error.WriteLineAsync($"invalidate: {ex.Message}");
            return CacheBusCommandLine.BadInput;
        }
        catch (Exception ex) when (CacheBusCommandLine.TryReportConfigurationError(ex, console.Error))
        {
            return CacheBusCommandLine.BadInput;
        }

        try
        {
            string[] Of(TargetKind kind) => [.. targets.Where(t => t.Kind == kind).Select(t => t.RedisKey).Distinct()];
            var done = await invalidator.ApplyAsync(Of(TargetKind.Key), Of(TargetKind.Tag), Of(TargetKind.Namespace));
            await console.Output.WriteLineAsync(
                $"deleted {done.KeysDeleted} of {done.Keys} keys, emptied {done.Tags} tags ({done.TagMembersDeleted} keys), bumped {done.Namespaces} namespaces");
            return 0;
        }
        catch (Exception ex) when (ex is RedisException or TimeoutException)
        {
            await console.Error.WriteLineAsync($"invalidate: Redis did not do it: {ex.Message}");
            return 1;
        }
    }

    private static List<Target> Targets(Request request, IServiceProvider services)
    {
        var keyFunction = KeyFunction(request.DjangoCache, services);
        var redis = services.GetRequiredService<IOptions<RedisOptions>>().Value;
        var targets = new List<Target>();
        targets.AddRange(request.Keys.Select(k => new Target(TargetKind.Key, keyFunction(k), k)));
        targets.AddRange(request.Tags.Select(t => new Target(TargetKind.Tag, keyFunction(redis.TagPrefix + t), t)));
        targets.AddRange(request.Namespaces.Select(n => new Target(TargetKind.Namespace, keyFunction(redis.NamespacePrefix + n), n)));
        if (request.Table is not null || request.Row is not null)
        {
            targets.AddRange(RowTargets(request, services));
        }

        return targets.Count > 0
            ? targets
            : throw new ArgumentException("nothing to invalidate: give --key, --tag, --namespace, or --table with --row");
    }

    private static HashSet<Target> RowTargets(Request request, IServiceProvider services)
    {
        if (request.Table is null || request.Row is null)
        {
            throw new ArgumentException("--table and --row go together");
        }

        var rules = services.GetRequiredService<RuleSet>();
        var rule = rules.For(TableName.Parse(request.Table))
            ?? throw new ArgumentException($"no rules for table {TableName.Parse(request.Table)}");
        var row = RowJson.Parse(request.Row, "--row");
        var targets = new HashSet<Target>();
        foreach (var template in rule.Targets)
        {
            targets.UnionWith(template.Render(row));
        }

        return targets;
    }

    private static Func<string, string> KeyFunction(string? djangoCache, IServiceProvider services)
    {
        if (djangoCache is null)
        {
            return key => key;
        }

        var caches = services.GetRequiredService<IOptions<DjangoOptions>>().Value.Caches;
        return caches.TryGetValue(djangoCache, out var cache)
            ? new DjangoKeys(cache).Key
            : throw new ArgumentException($"--django-cache '{djangoCache}' is not configured in {DjangoOptions.Section}:Caches");
    }

    private sealed record Request(string[] Keys, string[] Tags, string[] Namespaces, string? DjangoCache, string? Table, string? Row);
}
