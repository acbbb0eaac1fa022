using System.Globalization;
using System.Text;

namespace CacheBus.Service.Memcached;

/// <summary>
/// Quiet commands for many keys in one round trip, closed by <c>mn</c>. In quiet mode memcached answers only the
/// outcome that is not the nominal one, so each command carries its index as opaque token (<c>O&lt;n&gt;</c>) and the
/// answers are matched by it. Measured on memcached 1.6.18: <c>md q</c> stays silent on HD (deleted) but answers
/// <c>NF</c> (and <c>EX</c>); <c>mg q</c> stays silent on EN (miss) but answers <c>HD</c> on a hit, so for a touch
/// the hits are the ones that speak. Error lines carry no opaque token: they fail the whole chunk.
/// </summary>
internal static class MetaPipeline
{
    /// <summary>
    /// Commands per round trip. Bounded so the requests of a chunk stay small and its answers (at most one short
    /// line per key) always fit in the socket buffers: writing a whole batch before reading could otherwise stall
    /// both sides once memcached's send buffer fills.
    /// </summary>
    public const int ChunkSize = 500;

    public static string Request(IReadOnlyList<string> keys, Func<string, int, string> command)
    {
        var request = new StringBuilder();
        for (var i = 0; i < keys.Count; i++)
        {
            request.Append(command(keys[i], i));
        }

        return request.Append(MetaCommands.NoOp).ToString();
    }

    /// <summary>Reads up to <c>MN</c>; true at each index that answered with <paramref name="answer"/>.</summary>
    public static async Task<bool[]> ReadAnswersAsync(
        MemcachedConnection connection, int count, MetaStatus answer, CancellationToken cancellationToken)
    {
        var answered = new bool[count];
        while (await connection.ReadResponseAsync(cancellationToken) is { Status: not MetaStatus.NoOp } response)
        {
            if (response.Status != answer || response.Opaque is not { } index || index < 0 || index >= count || answered[index])
            {
                throw new MemcachedException(
                    $"Unexpected answer in a pipeline: {response.Status} for opaque {response.Opaque?.ToString(CultureInfo.InvariantCulture) ?? "(none)"}.");
            }

            answered[index] = true;
        }

        return answered;
    }
}
