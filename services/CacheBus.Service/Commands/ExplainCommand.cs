using System.CommandLine;
using CacheBus.Service.Rules;

namespace CacheBus.Service.Commands;

/// <summary>
/// <c>explain --table products --row '{"id": 42, "category_id": 7}'</c>: every key, tag, namespace, page and
/// fragment the current rules would invalidate for that row, and which rules the row cannot fill.
/// </summary>
internal static class ExplainCommand
{
    public static Command Create()
    {
        var table = new Option<string>("--table") { Description = "The table, as in the rules (products or schema.products)", Required = true };
        var row = new Option<string>("--row") { Description = "The row as a JSON object of column values", Required = true };
        var old = new Option<string?>("--old") { Description = "For an update: the row before it, as JSON" };
        var command = new Command("explain", "Print what the rules invalidate when a row changes") { table, row, old };
        command.SetAction(parse => Run(parse.GetValue(table)!, parse.GetValue(row)!, parse.GetValue(old), parse.InvocationConfiguration));
        return command;
    }

    private static int Run(string table, string rowJson, string? oldJson, InvocationConfiguration console)
    {
        List<IReadOnlyDictionary<string, string?>> images;
        try
        {
            images = [RowJson.Parse(rowJson, "--row")];
            if (oldJson is not null)
            {
                images.Insert(0, RowJson.Parse(oldJson, "--old"));
            }
        }
        catch (ArgumentException ex)
        {
            console.Error.WriteLine($"explain: {ex.Message}");
            return CacheBusCommandLine.BadInput;
        }

        using var host = CacheBusCommandLine.BuildHost();
        var rules = RuleSetOrReport(host, console.Error);
        if (rules is null)
        {
            return CacheBusCommandLine.BadInput;
        }

        if (rules.For(TableName.Parse(table)) is not { } rule)
        {
            console.Error.WriteLine($"explain: no rules for table {TableName.Parse(table)}; rules exist for {string.Join(", ", rules.Tables.Select(t => t.Table))}");
            return CacheBusCommandLine.BadInput;
        }

        foreach (var image in images)
        {
            console.Output.WriteLine($"{rule.Table} row {RowJson.Describe(image)}:");
            foreach (var template in rule.Targets)
            {
                Explain(template, image, console.Output);
            }
        }

        return 0;
    }

    private static void Explain(TargetTemplate template, IReadOnlyDictionary<string, string?> image, TextWriter output)
    {
        var targets = template.Render(image).ToList();
        foreach (var target in targets)
        {
            output.WriteLine($"  {template.Label,-9} {target.RedisKey}  <- {target.Origin}  ({template.SettingPath})");
        }

        if (targets.Count == 0)
        {
            var missing = template.Parts.SelectMany(p => p.Columns).Where(c => image.GetValueOrDefault(c) is null).Distinct();
            output.WriteLine($"  {"(none)",-9} {template.SettingPath}: the row has no value for {string.Join(", ", missing)}");
        }
    }

    internal static RuleSet? RuleSetOrReport(IHost host, TextWriter error)
    {
        try
        {
            return host.Services.GetRequiredService<RuleSet>();
        }
        catch (Exception ex) when (CacheBusCommandLine.TryReportConfigurationError(ex, error))
        {
            return null;
        }
    }
}
