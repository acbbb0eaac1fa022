using System.Globalization;
using System.Text.Json;

namespace CacheBus.Service.Commands;

/// <summary>
/// A row given on the command line as a JSON object, turned into the text PostgreSQL's replication stream would
/// carry for it (numbers as written, booleans as t/f, null as SQL NULL), so templates render as they will live.
/// </summary>
internal static class RowJson
{
    public static Dictionary<string, string?> Parse(string json, string option)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException ex)
        {
            throw new ArgumentException($"{option} is not valid JSON: {ex.Message}", ex);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ArgumentException($"{option} must be a JSON object of column values, for example {{\"id\": 42}}");
            }

            return document.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => Text(p.Value, option), StringComparer.Ordinal);
        }
    }

    private static string? Text(JsonElement value, string option) => value.ValueKind switch
    {
        JsonValueKind.String => value.GetString(),
        JsonValueKind.Number => value.GetRawText(),
        JsonValueKind.True => "t",
        JsonValueKind.False => "f",
        JsonValueKind.Null => null,
        _ => throw new ArgumentException(
            $"{option}: column values must be strings, numbers, booleans or null, not {value.ValueKind.ToString().ToLowerInvariant()}"),
    };

    public static string Describe(IReadOnlyDictionary<string, string?> row) =>
        string.Join(", ", row.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}={c.Value ?? "NULL"}")));
}
