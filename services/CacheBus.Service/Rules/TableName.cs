namespace CacheBus.Service.Rules;

/// <summary>A schema-qualified table name as PostgreSQL reports it in a Relation message.</summary>
internal readonly record struct TableName(string Schema, string Table)
{
    public const string DefaultSchema = "public";

    public static TableName Parse(string name)
    {
        var dot = name.IndexOf('.', StringComparison.Ordinal);
        return dot < 0 ? new TableName(DefaultSchema, name) : new TableName(name[..dot], name[(dot + 1)..]);
    }

    public override string ToString() => $"{Schema}.{Table}";
}
