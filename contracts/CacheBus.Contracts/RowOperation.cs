using System.Text.Json.Serialization;

namespace CacheBus.Contracts;

/// <summary>The kind of a committed row change; written on the wire as a lower-case word.</summary>
[JsonConverter(typeof(JsonStringEnumConverter<RowOperation>))]
public enum RowOperation
{
    /// <summary>A row was inserted.</summary>
    [JsonStringEnumMemberName("insert")]
    Insert,

    /// <summary>A row was updated.</summary>
    [JsonStringEnumMemberName("update")]
    Update,

    /// <summary>A row was deleted.</summary>
    [JsonStringEnumMemberName("delete")]
    Delete,

    /// <summary>The whole table was truncated.</summary>
    [JsonStringEnumMemberName("truncate")]
    Truncate,
}
