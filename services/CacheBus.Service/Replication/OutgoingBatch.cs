using System.Text;
using CacheBus.Contracts;
using CacheBus.Service.Rules;
using CacheBus.Service.Sessions;

namespace CacheBus.Service.Replication;

/// <summary>
/// Applies the rules to decoded changes as they arrive and gathers what they mean into the compact messages the
/// consumers apply: final Redis keys, tags and namespaces; per-user session decisions; fragments to warm; and full
/// rows only for tables that publish them. A message covers whole transactions or, when one is larger than
/// <c>MaxBatchSize</c> changes or <c>MaxMessageBytes</c>, a piece of it. The listener used to ship every row with
/// its old and new image and leave this to each consumer: half the service's CPU went into that JSON.
/// </summary>
internal sealed class OutgoingBatch(RuleSet rules, SessionPolicy? sessions, int maxChanges, int maxBytes, Action<RowChange, int>? valuesOmitted = null)
{
    // A key named again in a later piece of the same transaction is not sent again, up to this many keys per
    // transaction (a bound on memory for a transaction of millions of rows; past it a repeat costs one more UNLINK).
    private const int MaxRememberedPerTransaction = 50_000;

    private readonly HashSet<string> _keys = new(StringComparer.Ordinal);
    private readonly HashSet<string> _tags = new(StringComparer.Ordinal);
    private readonly HashSet<string> _namespaces = new(StringComparer.Ordinal);
    private readonly Dictionary<string, FragmentToWarm> _warms = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SessionChange> _users = new(StringComparer.Ordinal);
    private readonly HashSet<string> _transactionKeys = new(StringComparer.Ordinal);
    private readonly List<Target> _targets = [];
    private List<RowChange> _rows = [];
    private bool _revokeAll;
    private int _changes;
    private int _keyChanges;
    private int _sessionChanges;
    private int _warmChanges;
    private int _bytes;
    private string _commitLsn = "0/0";

    /// <summary>When the oldest transaction with a change in the batch committed; null while it is empty.</summary>
    public DateTimeOffset? OldestCommit { get; private set; }

    /// <summary>When the newest transaction with a change in the batch committed; null while it is empty.</summary>
    public DateTimeOffset? NewestCommit { get; private set; }

    /// <summary>True after a change whose transaction's end has not been seen yet.</summary>
    public bool InTransaction { get; private set; }

    /// <summary>True while no change with a rule was added since the last <see cref="Take"/>.</summary>
    public bool IsEmpty => _changes == 0;

    /// <summary>
    /// True once the batch holds as many changes or bytes as one message should. It is asked before each change is
    /// added, so a message may pass <c>maxBytes</c> by one change (itself at most <c>maxBytes</c>): at most twice it.
    /// </summary>
    public bool IsFull => _changes >= maxChanges || _bytes >= maxBytes;

    public void Add(RowChange change)
    {
        InTransaction = true;
        if (rules.For(new TableName(change.Schema, change.Table)) is not { } rule)
        {
            return;
        }

        OldestCommit ??= change.CommitTime;
        NewestCommit = change.CommitTime;
        _commitLsn = change.CommitLsn;
        _changes++;
        AddTargets(rule, change);
        if (sessions is not null && sessions.Covers(change))
        {
            AddSession(sessions, change);
        }

        if (rule.PublishRows)
        {
            // A row larger than a whole message would fail to publish (over the broker's max_message_size) and be
            // replayed forever: it goes without its values, said so in the message and by the callback.
            var bytes = RowBytes(change);
            if (bytes > maxBytes)
            {
                change = change with { OldValues = null, NewValues = null, ValuesOmitted = true };
                valuesOmitted?.Invoke(change, bytes);
                bytes = RowBytes(change);
            }

            _rows.Add(change);
            _bytes += bytes;
        }
    }

    /// <summary>The transaction whose changes were added last has committed.</summary>
    public void EndTransaction()
    {
        InTransaction = false;
        _transactionKeys.Clear();
    }

    /// <summary>The messages for everything added since the last call, and an empty batch.</summary>
    public List<object> Take()
    {
        var messages = new List<object>(4);
        if (_changes == 0)
        {
            return messages;
        }

        var commitTime = OldestCommit!.Value;
        if (_keys.Count + _tags.Count + _namespaces.Count > 0)
        {
            messages.Add(new KeysInvalidated
            {
                Keys = [.. _keys], Tags = [.. _tags], Namespaces = [.. _namespaces], CommitLsn = _commitLsn, CommitTime = commitTime,
                NewestCommitTime = NewestCommit, Changes = _keyChanges,
            });
        }

        if (_users.Count > 0 || _revokeAll)
        {
            messages.Add(new SessionsChanged
            {
                Users = [.. _users.Values], RevokeAll = _revokeAll, CommitLsn = _commitLsn, CommitTime = commitTime, Changes = _sessionChanges,
            });
        }

        if (_warms.Count > 0)
        {
            messages.Add(new FragmentsToWarm { Fragments = [.. _warms.Values], CommitLsn = _commitLsn, CommitTime = commitTime, Changes = _warmChanges });
        }

        if (_rows.Count > 0)
        {
            messages.Add(new RowsChanged { Changes = _rows });
            _rows = [];
        }

        _keys.Clear();
        _tags.Clear();
        _namespaces.Clear();
        _warms.Clear();
        _users.Clear();
        _revokeAll = false;
        _changes = _keyChanges = _sessionChanges = _warmChanges = _bytes = 0;
        OldestCommit = NewestCommit = null;
        return messages;
    }

    private void AddTargets(TableRule rule, RowChange change)
    {
        _targets.Clear();
        rule.Collect(change, _targets);
        var (invalidates, warms) = (false, false);
        foreach (var target in _targets)
        {
            switch (target.Kind)
            {
                case TargetKind.Key:
                    invalidates = true;
                    if (FirstInTransaction(target.RedisKey) && _keys.Add(target.RedisKey))
                    {
                        _bytes += Bytes(target.RedisKey);
                    }

                    break;
                case TargetKind.Tag:
                    invalidates = true;
                    _bytes += _tags.Add(target.RedisKey) ? Bytes(target.RedisKey) : 0;
                    break;
                case TargetKind.Namespace:
                    invalidates = true;
                    _bytes += _namespaces.Add(target.RedisKey) ? Bytes(target.RedisKey) : 0;
                    break;
                case TargetKind.Warm:
                    warms = true;
                    if (_warms.TryAdd(target.RedisKey, new FragmentToWarm { Name = target.Fragment!, VaryOn = target.VaryOn ?? [], Key = target.RedisKey, Url = target.Url! }))
                    {
                        _bytes += Bytes(target.RedisKey) + Bytes(target.Url!) + target.Fragment!.Length + 40;
                    }

                    break;
            }
        }

        _keyChanges += invalidates ? 1 : 0;
        _warmChanges += warms ? 1 : 0;
    }

    // Per user a revoke anywhere in the batch wins, otherwise the newest change gives the snapshot. A truncate names
    // no row, so in doubt it logs everyone out, the users changed before it in the batch included.
    private void AddSession(SessionPolicy policy, RowChange change)
    {
        _sessionChanges++;
        if (change.Operation == RowOperation.Truncate)
        {
            _revokeAll = true;
            foreach (var (user, entry) in _users.ToList())
            {
                _users[user] = entry with { Revoke = true, Snapshot = null };
            }

            return;
        }

        if (policy.UserId(change) is not { } userId)
        {
            return;
        }

        // A snapshot that cannot be built (an unchanged TOASTed column whose old value was not sent) revokes too:
        // in doubt the user is logged out rather than left reading a stale profile.
        var revoke = policy.IsSecurityChange(change) || _users.GetValueOrDefault(userId)?.Revoke == true;
        var snapshot = revoke || !policy.HasSnapshot ? null : policy.TrySnapshot(change);
        revoke |= policy.HasSnapshot && snapshot is null;
        _bytes += _users.ContainsKey(userId) ? 0 : Bytes(userId) + 80 + (snapshot?.Sum(c => c.Key.Length + (c.Value?.Length ?? 4) + 6) ?? 0);
        _users[userId] = new SessionChange { UserId = userId, Revoke = revoke, Snapshot = snapshot, CommitLsn = change.CommitLsn, Position = change.Position };
    }

    private bool FirstInTransaction(string key) =>
        _transactionKeys.Count < MaxRememberedPerTransaction ? _transactionKeys.Add(key) : !_transactionKeys.Contains(key);

    private static int Bytes(string text) => Encoding.UTF8.GetByteCount(text) + 3; // quotes and comma

    private static int RowBytes(RowChange change) =>
        200 + Values(change.Key) + Values(change.OldValues) + Values(change.NewValues);

    private static int Values(IReadOnlyDictionary<string, string?>? values) =>
        values?.Sum(c => Bytes(c.Key) + (c.Value is null ? 5 : Bytes(c.Value))) ?? 0;
}
