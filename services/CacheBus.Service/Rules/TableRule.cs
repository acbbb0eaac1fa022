using CacheBus.Contracts;

namespace CacheBus.Service.Rules;

/// <summary>The compiled rules of one table, with the configuration path each came from (for error messages).</summary>
internal sealed class TableRule(TableName table, string settingPath, IReadOnlyList<KeyTemplate> keys)
{
    public TableName Table { get; } = table;

    public string SettingPath { get; } = settingPath;

    public IReadOnlyList<KeyTemplate> Keys { get; } = keys;

    /// <summary>
    /// Adds every key the change invalidates. Templates are applied to the row before and after the change, so a
    /// product that moved category invalidates both category lists.
    /// </summary>
    public void CollectKeys(RowChange change, ISet<string> keys)
    {
        if (change.Operation is RowOperation.Update or RowOperation.Delete)
        {
            AddRendered(OldImage(change), keys);
        }

        if (change.Operation is RowOperation.Insert or RowOperation.Update && change.NewValues is not null)
        {
            AddRendered(NewImage(change), keys);
        }
    }

    private void AddRendered(IReadOnlyDictionary<string, string?> image, ISet<string> keys)
    {
        foreach (var template in Keys)
        {
            if (template.Render(image) is { } key)
            {
                keys.Add(key);
            }
        }
    }

    private static IReadOnlyDictionary<string, string?> OldImage(RowChange change)
    {
        if (change.OldValues is null)
        {
            return change.Key;
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
