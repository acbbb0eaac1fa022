using CacheBus.Contracts;

namespace CacheBus.Service.Redis;

/// <summary>
/// Refuses an intent no consumer can ever apply, with the reason: one the listener could not read, or one whose
/// lists are null (a peer that wrote <c>"keys": null</c>) or hold a null. The refusal is an
/// <see cref="InvalidDataException"/>, which is never retried: the intent is in the error queue at once.
/// </summary>
internal static class IntentCheck
{
    public static void ThrowIfUnusable(InvalidationRequested intent)
    {
        var problem = intent.Malformed ?? NullList(intent);
        if (problem is not null)
        {
            throw new InvalidDataException($"Malformed invalidation intent at {intent.CommitLsn}: {problem}");
        }
    }

    // The contract's lists are never null in C#, but JSON can say null, and the serializer then sets it.
    private static string? NullList(InvalidationRequested intent)
    {
        foreach (var (name, list) in new (string, IReadOnlyList<string>?)[]
        {
            ("keys", intent.Keys), ("tags", intent.Tags), ("namespaces", intent.Namespaces), ("revokeSessionsOf", intent.RevokeSessionsOf),
        })
        {
            if (list is null)
            {
                return $"\"{name}\" is null; send [] for none";
            }

            if (list.Any(value => value is null))
            {
                return $"\"{name}\" holds null";
            }
        }

        return null;
    }
}
