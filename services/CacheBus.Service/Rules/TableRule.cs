using CacheBus.Contracts;

namespace CacheBus.Service.Rules;

/// <summary>The compiled rules of one table.</summary>
internal sealed class TableRule(TableName table, string settingPath, IReadOnlyList<TargetTemplate> targets)
{
    public TableName Table { get; } = table;

    public string SettingPath { get; } = settingPath;

    public IReadOnlyList<TargetTemplate> Targets { get; } = targets;

    /// <summary>
    /// Adds every target the change invalidates. Templates are applied to the row before and after the change, so a
    /// product that moved category invalidates both category lists.
    /// </summary>
    public void Collect(RowChange change, ISet<Target> targets)
    {
        // A truncate names no row: what it invalidates is every template that needs none (a namespace "products",
        // a tag "catalogue", a key "product-list:all").
        if (change.Operation is RowOperation.Truncate)
        {
            AddRendered(new Dictionary<string, string?>(), targets);
        }

        if (change.Operation is RowOperation.Update or RowOperation.Delete)
        {
            AddRendered(OldImage(change), targets);
        }

        if (change.Operation is RowOperation.Insert or RowOperation.Update && change.NewValues is not null)
        {
            AddRendered(NewImage(change), targets);
        }
    }

    private void AddRendered(IReadOnlyDictionary<string, string?> image, ISet<Target> targets)
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
