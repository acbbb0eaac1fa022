using CacheBus.Contracts;
using CacheBus.Service.Django;
using CacheBus.Service.Rules;
using Microsoft.Extensions.Options;

namespace CacheBus.Service.Sessions;

/// <summary>
/// The session settings compiled: which changes concern sessions and what they mean (the listener decides), and the
/// keys Django uses for them (the consumer applies).
/// </summary>
internal sealed class SessionPolicy
{
    // Django's cache session backend: KEY_PREFIX = "django.contrib.sessions.cache" + session_key.
    private const string SessionKeyPrefix = "django.contrib.sessions.cache";

    private readonly SessionsOptions _options;
    private readonly TableName _table;
    private readonly DjangoKeys _django;
    private readonly KeyTemplate _snapshotKey;
    private readonly KeyTemplate _registryKey;

    public SessionPolicy(IOptions<SessionsOptions> options, IOptions<DjangoOptions> django)
    {
        _options = options.Value;
        _table = TableName.Parse(_options.Table!);
        _django = new DjangoKeys(django.Value.Caches[_options.DjangoCache]);
        _snapshotKey = KeyTemplate.Parse(_options.SnapshotKey);
        _registryKey = KeyTemplate.Parse(_options.RegistryKey);
    }

    public TimeSpan SessionTtl => _options.SessionTtl;

    public bool HasSnapshot => _options.SnapshotColumns.Count > 0;

    public bool Covers(RowChange change) => change.Schema == _table.Schema && change.Table == _table.Table;

    public string? UserId(RowChange change) =>
        change.NewValues?.GetValueOrDefault(_options.UserIdColumn)
        ?? change.OldValues?.GetValueOrDefault(_options.UserIdColumn)
        ?? change.Key.GetValueOrDefault(_options.UserIdColumn);

    /// <summary>
    /// A delete, or an update of a security column, revokes. An update whose changed columns PostgreSQL did not let
    /// us know (REPLICA IDENTITY DEFAULT) revokes too: when in doubt, log the user out rather than keep a session.
    /// </summary>
    public bool IsSecurityChange(RowChange change) => change.Operation switch
    {
        RowOperation.Delete => true,
        RowOperation.Update => change.ChangedColumns is not { } changed || changed.Any(_options.SecurityColumns.Contains),
        _ => false,
    };

    public string SessionKey(string sessionKey) => _django.Key(SessionKeyPrefix + sessionKey);

    public string SnapshotKey(string userId) => _django.Key(_snapshotKey.Render(UserRow(userId))!);

    public string RegistryKey(string userId) => _registryKey.Render(UserRow(userId))!;

    /// <summary>The glob (for SCAN MATCH) that matches every user's registry: RegistryKey with the user id as <c>*</c>.</summary>
    public string RegistryPattern => $"{Glob(_registryKey.Literals[0])}*{Glob(_registryKey.Literals[1])}";

    /// <summary>The user whose registry <paramref name="registryKey"/> is, or null when it is not a registry key.</summary>
    public string? RegistryUser(string registryKey)
    {
        var (prefix, suffix) = (_registryKey.Literals[0], _registryKey.Literals[1]);
        return registryKey.Length >= prefix.Length + suffix.Length
            && registryKey.StartsWith(prefix, StringComparison.Ordinal) && registryKey.EndsWith(suffix, StringComparison.Ordinal)
            ? registryKey[prefix.Length..^suffix.Length]
            : null;
    }

    /// <summary>
    /// The snapshot columns after the change. A column the new row holds as NULL is null in the snapshot; a TOASTed
    /// column that did not change is absent from the new row (not NULL) and keeps the old row's value. Null when a
    /// column has no value in the change (an unchanged TOASTed value whose old row the replica identity did not send):
    /// no honest snapshot can be built from it.
    /// </summary>
    public Dictionary<string, string?>? TrySnapshot(RowChange change)
    {
        var snapshot = new Dictionary<string, string?>(_options.SnapshotColumns.Count, StringComparer.Ordinal);
        foreach (var column in _options.SnapshotColumns)
        {
            if (change.NewValues is { } row && row.TryGetValue(column, out var value) || change.OldValues is { } old && old.TryGetValue(column, out value))
            {
                snapshot[column] = value;
            }
            else
            {
                return null;
            }
        }

        return snapshot;
    }

    // {user_id} is the user's id whatever UserIdColumn is called, as in the Django app's format strings.
    private Dictionary<string, string?> UserRow(string userId) => new() { [SessionsOptions.UserIdPlaceholder] = userId, [_options.UserIdColumn] = userId };

    // Redis glob syntax: * ? [ ] and \ are special; a backslash makes the next character literal.
    private static string Glob(string literal) =>
        string.Concat(literal.Select(c => c is '*' or '?' or '[' or ']' or '\\' ? $"\\{c}" : c.ToString()));
}
