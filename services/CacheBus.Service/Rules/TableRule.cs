using CacheBus.Contracts;

namespace CacheBus.Service.Rules;

/// <summary>The compiled rules of one table.</summary>
internal sealed class TableRule(TableName table, string settingPath, IReadOnlyList<TargetTemplate> targets, bool publishRows = false)
{
    public TableName Table { get; } = table;

    public string SettingPath { get; } = settingPath;

    public IReadOnlyList<TargetTemplate> Targets { get; } = targets;

    /// <summary>Every column some template of this table reads.</summary>
    public IReadOnlyList<string> Columns { get; } = [.. targets.SelectMany(t => t.Parts).SelectMany(p => p.Columns).Distinct(StringComparer.Ordinal)];

    /// <summary>Whether the table's full rows are published as <see cref="RowsChanged"/> for other subscribers (<c>PublishRows</c>).</summary>
    public bool PublishRows { get; } = publishRows;

    /// <summary>
    /// Adds every target the change invalidates. Templates are applied to the row before and after the change, so a
    /// product that moved category invalidates both category lists.
    /// </summary>
    public void Collect(RowChange change, ICollection<Target> targets)
    {
        // A truncate names no row: what it invalidates is every template that needs none (a namespace "products",
        // a tag "catalogue", a key "product-list:all").
        if (change.Operation is RowOperation.Truncate)
        {
            AddRendered(new Dictionary<string, string?>(), targets);
        }

        // An update that changed none of the columns the templates read renders the same targets from both images.
        if (change.Operation is RowOperation.Delete || change.Operation is RowOperation.Update && !SameForRules(change))
        {
            AddRendered(OldImage(change), targets);
        }

        if (change.Operation is RowOperation.Insert or RowOperation.Update && change.NewValues is not null)
        {
            AddRendered(NewImage(change), targets);
        }
    }

    private bool SameForRules(RowChange change)
    {
        if (change.OldValues is not { } old || change.NewValues is not { } @new || change.UnchangedToastColumns.Count > 0)
        {
            return false;
        }

        foreach (var column in Columns)
        {
            if (!old.TryGetValue(column, out var before) || !@new.TryGetValue(column, out var after) || before != after)
            {
                return false;
            }
        }

        return true;
    }

    private void AddRendered(IReadOnlyDictionary<string, string?> image, ICollection<Target> targets)
    {
        foreach (var template in Targets)
        {
            foreach (var target in template.Render(image))
            {
                targets.Add(target);
            }
        }
    }

    private static IReadOnlyDictionary<string, string?> OldImage(RowChange change)
    {
        if (change.OldValues is null)
        {
            return change.Key;
        }

        if (change.Key.All(column => change.OldValues.ContainsKey(column.Key)))
        {
            return change.OldValues; // REPLICA IDENTITY FULL: the old row already holds its key
        }

        var image = new Dictionary<string, string?>(change.OldValues, StringComparer.Ordinal);
        foreach (var (column, value) in change.Key)
        {
            image.TryAdd(column, value);
        }

        return image;
    }

    // An unchanged TOASTed column was not sent; its value is the old one, which a FULL replica identity may carry.
    private static IReadOnlyDictionary<string, string?> NewImage(RowChange change)
    {
        if (change.UnchangedToastColumns.Count == 0 || change.OldValues is null)
        {
            return change.NewValues!;
        }

        var image = new Dictionary<string, string?>(change.NewValues!, StringComparer.Ordinal);
        foreach (var column in change.UnchangedToastColumns)
        {
            if (change.OldValues.TryGetValue(column, out var value))
            {
                image[column] = value;
            }
        }

        return image;
    }
}
