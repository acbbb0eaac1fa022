namespace CacheBus.UnitTests;

/// <summary>Row images as the listener builds them: column name to PostgreSQL text value, null for SQL NULL.</summary>
internal static class Rows
{
    public static Dictionary<string, string?> Of(params (string Column, string? Value)[] values) =>
        values.ToDictionary(v => v.Column, v => v.Value, StringComparer.Ordinal);
}
