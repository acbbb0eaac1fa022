using System.Globalization;
using CacheBus.Service.Memcached;
using NpgsqlTypes;

namespace CacheBus.Service.Sessions;

/// <summary>
/// Writes the profile snapshot Django's sessions read, never replacing a newer one with an older one: the snapshot
/// carries the commit LSN and the change's position in its transaction (<c>_lsn</c>, <c>_position</c>), and a write
/// goes through only over an older pair, by CAS. The position orders the changes of one transaction, which share
/// the commit LSN, also when they arrive in different messages. The Django app fills a missing snapshot with
/// <c>cache.add</c> and LSN 0/0, so it never overwrites CacheBus either. With several memcached nodes the snapshot
/// is written on the node Django reads it from, and removed from the others.
/// </summary>
internal sealed class ProfileSnapshots(MemcachedClient memcached)
{
    public const string LsnField = "_lsn";
    public const string PositionField = "_position";
    private const int Attempts = 5;

    /// <summary>True when this snapshot is now stored; false when a snapshot as new or newer was already there.</summary>
    public async Task<bool> WriteAsync(
        string key, IReadOnlyDictionary<string, string?> values, string commitLsn, int position, TimeSpan ttl, CancellationToken ct)
    {
        // A copy on another node is one a Django process filled from the database while it counted this key's node
        // dead; it would read that copy, however old, the next time it does. Gone, it refills from the database.
        // Both steps run whatever the other meets: with the key's node down, the processes that left it read the
        // others, so their copies must go; with another node down, the key's node still gets the snapshot. Either
        // failing fails the write, and the redelivered change does what is left (nothing is written twice).
        var written = WriteOnItsNodeAsync(key, values, commitLsn, position, ttl, ct);
        var removed = memcached.DeleteFromOtherNodesAsync(key, ct);
        await Task.WhenAll(written, removed);
        return await written;
    }

    private async Task<bool> WriteOnItsNodeAsync(
        string key, IReadOnlyDictionary<string, string?> values, string commitLsn, int position, TimeSpan ttl, CancellationToken ct)
    {
        var order = (NpgsqlLogSequenceNumber.Parse(commitLsn), position);
        var snapshot = new Dictionary<string, string?>(values)
        {
            [LsnField] = commitLsn,
            [PositionField] = position.ToString(CultureInfo.InvariantCulture),
        };
        var pickle = PickledSnapshot.Write(snapshot);
        for (var attempt = 0; attempt < Attempts; attempt++)
        {
            var current = await memcached.GetAsync(key, ct);
            if (current is null)
            {
                if (await memcached.AddAsync(key, pickle, PickledSnapshot.MemcachedFlags, ttl, ct) == MemcachedSetResult.Stored)
                {
                    return true;
                }

                continue; // someone stored one meanwhile: compare with it
            }

            if (StoredOrder(current).CompareTo(order) >= 0)
            {
                return false;
            }

            if (await memcached.SetAsync(key, pickle, PickledSnapshot.MemcachedFlags, ttl, current.Cas, ct) == MemcachedSetResult.Stored)
            {
                return true;
            }
        }

        throw new InvalidOperationException($"The snapshot {key} kept changing under {Attempts} attempts to write it");
    }

    // Anything that is not our snapshot shape (or has no LSN) counts as the oldest possible: ours replaces it. That
    // includes a truncated pickle: CacheBus, the only writer of real LSNs, never writes one, and Django cannot read
    // it either, so it is no newer snapshot to keep, and replacing it is what heals the user's sessions. A snapshot
    // with an LSN but no position (written before positions existed) counts as the last change of its transaction.
    private static (NpgsqlLogSequenceNumber Lsn, int Position) StoredOrder(MemcachedItem item)
    {
        Dictionary<string, string?> stored;
        try
        {
            stored = item.Flags == PickledSnapshot.MemcachedFlags ? PickledSnapshot.Read(item.Value.Span) : [];
        }
        catch (FormatException)
        {
            return default;
        }

        if (stored.GetValueOrDefault(LsnField) is not { } text || !NpgsqlLogSequenceNumber.TryParse(text, out var lsn))
        {
            return default;
        }

        return (lsn, int.TryParse(stored.GetValueOrDefault(PositionField), CultureInfo.InvariantCulture, out var position) ? position : int.MaxValue);
    }
}
