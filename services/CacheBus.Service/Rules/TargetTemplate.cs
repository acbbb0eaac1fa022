using CacheBus.Service.Django;

namespace CacheBus.Service.Rules;

/// <summary>One configured key, tag, namespace, page or fragment of a table, compiled.</summary>
internal sealed class TargetTemplate
{
    private readonly Func<IReadOnlyList<string>, IEnumerable<Target>> _targets;
    private readonly IReadOnlyList<KeyTemplate> _parts;

    private TargetTemplate(string label, string settingPath, IReadOnlyList<KeyTemplate> parts, Func<IReadOnlyList<string>, IEnumerable<Target>> targets)
    {
        Label = label;
        SettingPath = settingPath;
        _parts = parts;
        _targets = targets;
    }

    /// <summary>What the operator configured: key, tag, namespace, page or fragment.</summary>
    public string Label { get; }

    public string SettingPath { get; }

    /// <summary>The templates this target is filled from (one, or a fragment's vary_on values).</summary>
    public IReadOnlyList<KeyTemplate> Parts => _parts;

    public static TargetTemplate Key(string path, KeyTemplate template, Func<string, string> keyFunction) =>
        new("key", path, [template], values => [new Target(TargetKind.Key, keyFunction(values[0]), values[0])]);

    public static TargetTemplate Tag(string path, KeyTemplate template, Func<string, string> keyFunction, string prefix) =>
        new("tag", path, [template], values => [new Target(TargetKind.Tag, keyFunction(prefix + values[0]), values[0])]);

    public static TargetTemplate Namespace(string path, KeyTemplate template, Func<string, string> keyFunction, string prefix) =>
        new("namespace", path, [template], values => [new Target(TargetKind.Namespace, keyFunction(prefix + values[0]), values[0])]);

    public static TargetTemplate Page(string path, KeyTemplate url, DjangoKeys django) =>
        new("page", path, [url], values => django.PageHeaderKeys(values[0]).Select(key => new Target(TargetKind.Key, key, $"page {values[0]}")));

    public static TargetTemplate Fragment(string path, string name, IReadOnlyList<KeyTemplate> varyOn, DjangoKeys django) =>
        new("fragment", path, varyOn, values => [new Target(TargetKind.Key, django.FragmentKey(name, values), $"fragment {name} [{string.Join(", ", values)}]")]);

    /// <summary>A fragment kept warm: its vary_on values and the origin URL that renders it, filled from the same row.</summary>
    public static TargetTemplate WarmedFragment(string path, string name, IReadOnlyList<KeyTemplate> varyOn, KeyTemplate originUrl, DjangoKeys django) =>
        new("warm", path, [.. varyOn, originUrl], values =>
        {
            var vary = values.Take(values.Count - 1).ToArray();
            return [new Target(TargetKind.Warm, django.FragmentKey(name, vary), $"fragment {name} [{string.Join(", ", vary)}]", name, values[^1], vary)];
        });

    /// <summary>The targets for one row image; none when the image lacks a value a template needs.</summary>
    public IEnumerable<Target> Render(IReadOnlyDictionary<string, string?> row)
    {
        var values = new string[_parts.Count];
        for (var i = 0; i < values.Length; i++)
        {
            if (_parts[i].Render(row) is not { } value)
            {
                return [];
            }

            values[i] = value;
        }

        return _targets(values);
    }
}
