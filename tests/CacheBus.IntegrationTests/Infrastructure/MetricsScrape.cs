using System.Globalization;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>One scrape of /metrics in Prometheus's text format, read the way Prometheus reads it.</summary>
internal sealed class MetricsScrape(string text)
{
    public static async Task<MetricsScrape> TakeAsync(HttpClient http) =>
        new(await http.GetStringAsync(new Uri("/metrics", UriKind.Relative), TestContext.Current.CancellationToken));

    public override string ToString() => text;

    /// <summary>The sample of <paramref name="name"/> whose labels include every pair given; 0 when there is none yet.</summary>
    public double Value(string name, params (string Label, string Value)[] labels)
    {
        foreach (var line in text.Split('\n'))
        {
            if (!line.StartsWith(name, StringComparison.Ordinal) || line.Length == name.Length || line[name.Length] is not ('{' or ' '))
            {
                continue;
            }

            if (labels.All(l => line.Contains($"{l.Label}=\"{l.Value}\"", StringComparison.Ordinal)))
            {
                return double.Parse(line[(line.LastIndexOf(' ') + 1)..], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
