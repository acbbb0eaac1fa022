using System.Net;
using System.Net.Http.Headers;
using System.Text;

namespace CacheBus.Service.Fragments;

/// <summary>
/// Fetches a rendered fragment from the origin, refusing anything that is not a fragment: another origin, a redirect,
/// a non-200 status, a non-HTML body, one too large, or one cut off before its end. An error page is never stored.
/// </summary>
internal sealed class FragmentFetcher(HttpClient http)
{
    public const string TokenHeader = "X-CacheBus-Token";

    private static readonly UriCreationOptions ExactPath = new() { DangerousDisablePathAndQueryCanonicalization = true };

    public async Task<FetchResult> FetchAsync(string url, FragmentPolicyOptions policy, string? token, CancellationToken ct)
    {
        // Sent as built: canonicalizing would turn an escaped value's %2E%2E back into a ".." segment and resolve it.
        if (!Uri.TryCreate(url, ExactPath, out var uri) || !uri.IsAbsoluteUri || !IsAllowed(uri, policy))
        {
            return FetchResult.Failed("origin-not-allowed", transient: false);
        }

        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(policy.Timeout);
        using var request = new HttpRequestMessage(HttpMethod.Get, uri);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/html"));
        if (token is not null)
        {
            request.Headers.Add(TokenHeader, token);
        }

        try
        {
            using var response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, timeout.Token);
            return await ReadAsync(response, policy, timeout.Token);
        }
        catch (OperationCanceledException) when (!ct.IsCancellationRequested)
        {
            return FetchResult.Failed("timeout", transient: true);
        }
        catch (HttpRequestException)
        {
            return FetchResult.Failed("unreachable", transient: true);
        }
        catch (IOException)
        {
            // The origin closed the connection before the body's end (HttpIOException): what arrived is never stored.
            return FetchResult.Failed("truncated", transient: true);
        }
    }

    private static async Task<FetchResult> ReadAsync(HttpResponseMessage response, FragmentPolicyOptions policy, CancellationToken ct)
    {
        var status = (int)response.StatusCode;
        if (status is >= 300 and < 400)
        {
            return FetchResult.Failed("redirect", transient: false); // never followed: it could lead off the allowed origins
        }

        if (response.StatusCode != HttpStatusCode.OK)
        {
            return FetchResult.Failed($"status-{status}", transient: status >= 500);
        }

        if (response.Content.Headers.ContentType?.MediaType != "text/html")
        {
            return FetchResult.Failed("content-type", transient: false);
        }

        if (response.Content.Headers.ContentLength > policy.MaxBytes)
        {
            return FetchResult.Failed("too-large", transient: false);
        }

        await using var body = await response.Content.ReadAsStreamAsync(ct);
        var buffer = new byte[policy.MaxBytes + 1];
        var length = 0;
        int read;
        while (length < buffer.Length && (read = await body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
        {
            length += read;
        }

        return length > policy.MaxBytes
            ? FetchResult.Failed("too-large", transient: false)
            : FetchResult.Fetched(Encoding.UTF8.GetString(buffer, 0, length));
    }

    private static bool IsAllowed(Uri uri, FragmentPolicyOptions policy) =>
        policy.AllowedOrigins.Any(origin => Uri.TryCreate(origin, UriKind.Absolute, out var allowed)
            && allowed.Scheme == uri.Scheme && allowed.Host.Equals(uri.Host, StringComparison.OrdinalIgnoreCase) && allowed.Port == uri.Port);
}

internal readonly record struct FetchResult(string? Html, string? Failure, bool Transient)
{
    public static FetchResult Fetched(string html) => new(html, null, false);

    public static FetchResult Failed(string reason, bool transient) => new(null, reason, transient);
}
