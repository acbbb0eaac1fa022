using System.Globalization;
using System.Numerics;

namespace CacheBus.Service.Memcached;

internal enum MetaStatus
{
    /// <summary><c>VA &lt;length&gt;</c>: a value block follows.</summary>
    Value,

    /// <summary><c>HD</c>: stored, deleted, touched, or a hit without a value.</summary>
    Done,

    /// <summary><c>EN</c>: a get missed.</summary>
    Miss,

    NotStored,
    Exists,
    NotFound,

    /// <summary><c>MN</c>: the end of a pipeline.</summary>
    NoOp,
}

/// <summary>One response line of the meta protocol, with the return flags this client asks for.</summary>
internal sealed record MetaResponse(MetaStatus Status, int ValueLength, uint? ClientFlags, ulong? Cas, long? Ttl, int? Opaque)
{
    /// <summary>
    /// Parses a response line (without its <c>\r\n</c>). Error lines (<c>CLIENT_ERROR</c>, <c>SERVER_ERROR</c>,
    /// <c>ERROR</c>) and anything unknown throw <see cref="MemcachedException"/> carrying the server's text.
    /// </summary>
    public static MetaResponse Parse(string line)
    {
        if (line == "ERROR" || line.StartsWith("CLIENT_ERROR", StringComparison.Ordinal) || line.StartsWith("SERVER_ERROR", StringComparison.Ordinal))
        {
            throw new MemcachedException(line == "ERROR" ? "ERROR (memcached did not recognise the command)" : line);
        }

        var tokens = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var status = tokens.FirstOrDefault() switch
        {
            "VA" => MetaStatus.Value,
            "HD" => MetaStatus.Done,
            "EN" => MetaStatus.Miss,
            "NS" => MetaStatus.NotStored,
            "EX" => MetaStatus.Exists,
            "NF" => MetaStatus.NotFound,
            "MN" => MetaStatus.NoOp,
            _ => throw Unexpected(line),
        };

        var valueLength = 0;
        var flagsFrom = 1;
        if (status == MetaStatus.Value)
        {
            if (tokens.Length < 2 || !int.TryParse(tokens[1], NumberStyles.None, CultureInfo.InvariantCulture, out valueLength))
            {
                throw Unexpected(line);
            }

            flagsFrom = 2;
        }

        uint? clientFlags = null;
        ulong? cas = null;
        long? ttl = null;
        int? opaque = null;
        foreach (var token in tokens.Skip(flagsFrom))
        {
            // Flags the client did not ask for (k, s, W, X, Z, ...) are ignored.
            switch (token[0])
            {
                case 'f': clientFlags = Number<uint>(token, line); break;
                case 'c': cas = Number<ulong>(token, line); break;
                case 't': ttl = Number<long>(token, line); break;
                case 'O': opaque = Number<int>(token, line); break;
                default: break;
            }
        }

        return new MetaResponse(status, valueLength, clientFlags, cas, ttl, opaque);
    }

    private static T Number<T>(string token, string line)
        where T : INumber<T> =>
        T.TryParse(token.AsSpan(1), NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value : throw Unexpected(line);

    private static MemcachedException Unexpected(string line) => new($"Unexpected response from memcached: '{line}'");
}
