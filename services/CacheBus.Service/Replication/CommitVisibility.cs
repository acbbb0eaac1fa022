using Npgsql;

namespace CacheBus.Service.Replication;

/// <summary>
/// Waits until decoded transactions are visible to other sessions. A committing backend flushes its commit record
/// (the walsender may decode and send it from then on) and only afterwards leaves the list of running transactions;
/// on a busy machine that gap lasts milliseconds. An eviction inside it lets a reader take a fresh lease, read the
/// old row and store it, after the eviction: the consistency probe saw that, a few reads in 100,000. So nothing is
/// published before its transactions are out of the server's in-progress list (<c>pg_current_snapshot()</c>).
/// </summary>
internal sealed class CommitVisibility(NpgsqlDataSource db, TimeProvider time)
{
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(1);

    public async Task WaitAsync(IReadOnlyCollection<uint> xids, CancellationToken ct)
    {
        while (xids.Count > 0)
        {
            await using var command = db.CreateCommand("SELECT pg_current_snapshot()::text");
            if (!StillRunning((string)(await command.ExecuteScalarAsync(ct))!, xids))
            {
                return;
            }

            await Task.Delay(Poll, time, ct);
        }
    }

    /// <summary>
    /// Whether any of the 32-bit xids is among a snapshot's in-progress ones ("xmin:xmax:xip,..." with 64-bit ids).
    /// The low 32 bits are compared: two running transactions 2^32 ids apart cannot exist (wraparound protection).
    /// </summary>
    public static bool StillRunning(string snapshot, IReadOnlyCollection<uint> xids)
    {
        var running = snapshot[(snapshot.LastIndexOf(':') + 1)..];
        foreach (var range in running.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            if (xids.Contains((uint)(ulong.Parse(range, System.Globalization.CultureInfo.InvariantCulture) & uint.MaxValue)))
            {
                return true;
            }
        }

        return false;
    }
}
