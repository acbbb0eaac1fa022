using System.Text;

namespace CacheBus.Service.Rules;

/// <summary>
/// A cache key with placeholders filled from row values, for example <c>product-list:category:{category_id}</c>.
/// <c>{{</c> and <c>}}</c> stand for literal braces.
/// </summary>
internal sealed class KeyTemplate
{
    private readonly string[] _literals;
    private readonly string[] _columns;

    private KeyTemplate(string text, string[] literals, string[] columns)
    {
        Text = text;
        _literals = literals;
        _columns = columns;
    }

    public string Text { get; }

    /// <summary>The columns the template reads, in order of appearance.</summary>
    public IReadOnlyList<string> Columns => _columns;

    public static KeyTemplate Parse(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            throw new FormatException("the template is empty");
        }

        var literals = new List<string>();
        var columns = new List<string>();
        var literal = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '{' && i + 1 < text.Length && text[i + 1] == '{' || c == '}' && i + 1 < text.Length && text[i + 1] == '}')
            {
                literal.Append(c);
                i++;
            }
            else if (c == '{')
            {
                var end = text.IndexOf('}', i + 1);
                if (end < 0)
                {
                    throw new FormatException($"'{{' at position {i} is never closed");
                }

                var column = text[(i + 1)..end];
                if (column.Length == 0 || column.AsSpan().ContainsAny("{ \t"))
                {
                    throw new FormatException($"'{{{column}}}' at position {i} does not name a column");
                }

                literals.Add(literal.ToString());
                literal.Clear();
                columns.Add(column);
                i = end;
            }
            else if (c == '}')
            {
                throw new FormatException($"'}}' at position {i} has no opening '{{' (write '}}}}' for a literal brace)");
            }
            else
            {
                literal.Append(c);
            }
        }

        literals.Add(literal.ToString());
        return new KeyTemplate(text, [.. literals], [.. columns]);
    }

    /// <summary>
    /// The key for one row image, or null when the image lacks a column the template needs (the replica identity
    /// did not send it) or holds SQL NULL there: no key can honestly be built from it.
    /// </summary>
    public string? Render(IReadOnlyDictionary<string, string?> row)
    {
        if (_columns.Length == 0)
        {
            return _literals[0];
        }

        var key = new StringBuilder(_literals[0]);
        for (var i = 0; i < _columns.Length; i++)
        {
            if (!row.TryGetValue(_columns[i], out var value) || value is null)
            {
                return null;
            }

            key.Append(value).Append(_literals[i + 1]);
        }

        return key.ToString();
    }

    public override string ToString() => Text;
}
