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
    private readonly Func<string, string>[]? _escapes;

    private KeyTemplate(string text, string[] literals, string[] columns, Func<string, string>[]? escapes = null)
    {
        Text = text;
        _literals = literals;
        _columns = columns;
        _escapes = escapes;
    }

    public string Text { get; }

    /// <summary>The columns the template reads, in order of appearance.</summary>
    public IReadOnlyList<string> Columns => _columns;

    /// <summary>The text around the placeholders: one more than <see cref="Columns"/>, the first before the first placeholder.</summary>
    public IReadOnlyList<string> Literals => _literals;

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
    /// A URL filled from row values, each value percent-escaped for where it stands: before the <c>?</c> as a path
    /// segment, after it as a query value. A value can then add no segment, parameter or fragment: <c>c++</c> stays
    /// <c>c++</c>, <c>a&amp;b</c> one parameter, and <c>..</c> (sent as <c>%2E%2E</c>) never climbs out of the path.
    /// </summary>
    public static KeyTemplate ParseUrl(string? text)
    {
        var template = Parse(text);
        var escapes = new Func<string, string>[template._columns.Length];
        var before = new StringBuilder();
        for (var i = 0; i < escapes.Length; i++)
        {
            before.Append(template._literals[i]); // values are escaped, so only the literals can open the query
            escapes[i] = before.ToString().AsSpan().ContainsAny('?', '#') ? Uri.EscapeDataString : EscapePathSegment;
        }

        return new KeyTemplate(template.Text, template._literals, template._columns, escapes);
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

            key.Append(_escapes is null ? value : _escapes[i](value)).Append(_literals[i + 1]);
        }

        return key.ToString();
    }

    public override string ToString() => Text;

    // '.' is unreserved, so EscapeDataString keeps it; escaped, no value can form a "." or ".." segment, which an
    // HTTP client or a proxy would otherwise resolve against the path before it reaches the origin.
    private static string EscapePathSegment(string value) => Uri.EscapeDataString(value).Replace(".", "%2E", StringComparison.Ordinal);
}
