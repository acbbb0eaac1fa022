using System.Text.Json;
using System.Text.Json.Serialization;

namespace CacheBus.Contracts;

/// <summary>
/// Reads and writes a row's column values (<c>{"id": "1", "description": null}</c>) directly as JSON strings and
/// nulls. The wire format is the one any JSON object of strings has; this converter only spares the general
/// dictionary converters' per-value work, which a message of hundreds of rows pays thousands of times. Column names
/// are compared exactly, as PostgreSQL's quoted names are.
/// </summary>
public sealed class ColumnValuesJsonConverter : JsonConverter<IReadOnlyDictionary<string, string?>>
{
    /// <inheritdoc />
    public override IReadOnlyDictionary<string, string?> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            throw new JsonException($"column values must be a JSON object, not {reader.TokenType}");
        }

        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var column = reader.GetString()!;
            reader.Read();
            values[column] = reader.TokenType switch
            {
                JsonTokenType.String => reader.GetString(),
                JsonTokenType.Null => null,
                _ => throw new JsonException($"the value of column \"{column}\" must be a string or null, not {reader.TokenType}"),
            };
        }

        return reader.TokenType == JsonTokenType.EndObject ? values : throw new JsonException("column values end before their object does");
    }

    /// <inheritdoc />
    public override void Write(Utf8JsonWriter writer, IReadOnlyDictionary<string, string?> value, JsonSerializerOptions options)
    {
        writer.WriteStartObject();
        foreach (var (column, text) in value)
        {
            if (text is null)
            {
                writer.WriteNull(column);
            }
            else
            {
                writer.WriteString(column, text);
            }
        }

        writer.WriteEndObject();
    }
}
