using System.Text.Json;
using System.Text.RegularExpressions;
using CacheBus.Service;
using CacheBus.Service.Commands;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;

namespace CacheBus.UnitTests.Compose;

/// <summary>
/// The compose deployment checked against the service itself: what CacheBus requires is given, every address names
/// a service of the file on a port it serves, health checks are where the start order relies on them.
/// </summary>
public sealed partial class ComposeFileTests
{
    private static readonly ComposeFile Compose = ComposeFile.Load();

    [Fact]
    public void Services_AreTheServersCacheBusAndMonitoring()
    {
        Assert.Equal(
            ["cachebus", "grafana", "memcached-a", "memcached-b", "postgres", "prometheus", "rabbitmq", "redis"],
            Compose.ServiceNames.Order());
    }

    [Fact]
    public void CacheBusEnvironment_PassesTheServicesOwnStartupValidation()
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        builder.Configuration.AddInMemoryCollection(
            Compose.Environment("cachebus").Select(e => new KeyValuePair<string, string?>(e.Key.Replace("__", ":", StringComparison.Ordinal), e.Value)));

        using var app = CacheBusCommandLine.BuildWebApplication(builder); // validates every option, connects nowhere

        Assert.NotNull(app.Services.GetRequiredService<IOptions<ConnectionStringsOptions>>().Value.Memcached);
    }

    [Fact]
    public void ConnectionStrings_NameComposeServicesOnPortsTheyServe()
    {
        var env = Compose.Environment("cachebus");
        var postgres = new NpgsqlConnectionStringBuilder(env["ConnectionStrings__Postgres"]);
        var rabbit = new Uri(env["ConnectionStrings__RabbitMq"]);
        var redis = env["ConnectionStrings__Redis"].Split(',')[0].Split(':');
        var memcached = env["ConnectionStrings__Memcached"].Split(',').Select(node => node.Split(':')).ToList();

        Assert.Contains(postgres.Port, Compose.ContainerPorts(postgres.Host!));
        Assert.Contains(rabbit.Port, Compose.ContainerPorts(rabbit.Host));
        Assert.Contains(int.Parse(redis[1], System.Globalization.CultureInfo.InvariantCulture), Compose.ContainerPorts(redis[0]));
        Assert.Equal(2, memcached.Count);
        Assert.All(memcached, node => Assert.Contains(int.Parse(node[1], System.Globalization.CultureInfo.InvariantCulture), Compose.ContainerPorts(node[0])));
    }

    [Fact]
    public void CacheBus_SignsInWithPasswords_AsNeitherTheSuperuserNorGuest()
    {
        var env = Compose.Environment("cachebus");
        var postgres = new NpgsqlConnectionStringBuilder(env["ConnectionStrings__Postgres"]);
        var rabbit = new Uri(env["ConnectionStrings__RabbitMq"]);
        var redis = StackExchange.Redis.ConfigurationOptions.Parse(env["ConnectionStrings__Redis"]);
        var server = Compose.Environment("postgres");

        Assert.NotEqual(server["POSTGRES_USER"], postgres.Username);
        Assert.Equal(server["CACHEBUS_DB_PASSWORD"], postgres.Password);
        Assert.Equal($"cachebus:{Compose.Environment("rabbitmq")["RABBITMQ_DEFAULT_PASS"]}", Uri.UnescapeDataString(rabbit.UserInfo));
        Assert.Equal("/" + Compose.Environment("rabbitmq")["RABBITMQ_DEFAULT_VHOST"], rabbit.AbsolutePath);
        Assert.Equal(Compose.Command("redis")[Compose.Command("redis").ToList().IndexOf("--requirepass") + 1], redis.Password);
    }

    [Fact]
    public void PostgresInit_GivesTheServiceRoleReplicationAndSelectOnly_AndTheReplicationLogin()
    {
        var script = File.ReadAllText(Path.Combine(ComposeFile.Directory, "demo", "cachebus-role.sh"));

        Assert.Contains("/docker-entrypoint-initdb.d/3-cachebus-role.sh", Compose.Service("postgres")["volumes"] is List<object> volumes ? string.Join(' ', volumes) : "", StringComparison.Ordinal);
        Assert.Contains("CREATE ROLE cachebus LOGIN REPLICATION PASSWORD", script, StringComparison.Ordinal);
        Assert.Contains("GRANT SELECT ON products, profiles, orders TO cachebus", script, StringComparison.Ordinal);
        Assert.Contains("host replication cachebus all scram-sha-256", script, StringComparison.Ordinal);
        Assert.DoesNotContain("SUPERUSER", script, StringComparison.Ordinal);
    }

    [Fact]
    public void Postgres_RunsWithLogicalReplication()
    {
        var command = string.Join(' ', Compose.Command("postgres"));

        Assert.Contains("wal_level=logical", command, StringComparison.Ordinal);
        Assert.Contains("max_replication_slots=", command, StringComparison.Ordinal);
        Assert.Contains("max_wal_senders=", command, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("postgres")]
    [InlineData("rabbitmq")]
    [InlineData("redis")]
    public void CacheBus_WaitsForEachServerToBeHealthy(string server)
    {
        Assert.True(Compose.HasHealthcheck(server), $"{server} has a healthcheck");
        Assert.Equal("service_healthy", Compose.DependsOnCondition("cachebus", server));
    }

    [Fact]
    public void CacheBusHealthcheck_ProbesReadinessOnTheServedPort()
    {
        var port = UrlsPort();

        Assert.Contains(port, Compose.ContainerPorts("cachebus"));
        Assert.Contains($"/dev/tcp/127.0.0.1/{port}", Compose.HealthcheckCommand("cachebus"), StringComparison.Ordinal);
        Assert.Contains("/health/ready", Compose.HealthcheckCommand("cachebus"), StringComparison.Ordinal);
    }

    [Fact]
    public void Prometheus_ScrapesCacheBusMetricsEndpoint()
    {
        var config = File.ReadAllText(Path.Combine(ComposeFile.Directory, "prometheus", "prometheus.yml"));

        Assert.Contains("metrics_path: /metrics", config, StringComparison.Ordinal);
        Assert.Contains($"\"cachebus:{UrlsPort()}\"", config, StringComparison.Ordinal);
    }

    [Fact]
    public void BindMounts_PointAtFilesOfTheRepository()
    {
        foreach (var service in Compose.ServiceNames)
        {
            foreach (var path in Compose.MountedPaths(service))
            {
                Assert.True(Path.Exists(Path.Combine(ComposeFile.Directory, path)), $"{service} mounts {path}, which exists");
            }
        }
    }

    [Fact]
    public void GrafanaDashboard_ShowsLagThroughputLatencyErrorsAndHitRatio_FromMetricsCacheBusExports()
    {
        using var dashboard = JsonDocument.Parse(File.ReadAllText(Path.Combine(ComposeFile.Directory, "grafana", "dashboards", "cachebus.json")));
        var panels = dashboard.RootElement.GetProperty("panels").EnumerateArray().ToList();
        var exported = typeof(CacheBusEndpoints).Assembly.GetType("CacheBus.Service.Metrics.CacheBusMetrics")!
            .GetFields().Select(f => f.GetValue(null)).Select(m => (string)m!.GetType().GetProperty("Name")!.GetValue(m)!).ToHashSet();

        Assert.Equal(
            ["Cache hit ratio", "Commit-to-applied latency", "Errors", "Lag (seconds)", "Replication lag", "Throughput"],
            panels.Select(p => p.GetProperty("title").GetString()).Order());
        foreach (var expr in panels.SelectMany(p => p.GetProperty("targets").EnumerateArray()).Select(t => t.GetProperty("expr").GetString()!))
        {
            foreach (Match metric in MetricName().Matches(expr))
            {
                var name = Regex.Replace(metric.Value, "_(bucket|count|sum)$", "");
                Assert.True(exported.Contains(name), $"{name} in '{expr}' is a metric CacheBus exports");
            }
        }
    }

    private static int UrlsPort() => new Uri(Compose.Environment("cachebus")["Urls"].Replace("0.0.0.0", "localhost", StringComparison.Ordinal)).Port;

    [GeneratedRegex("cachebus_[a-z_]+")]
    private static partial Regex MetricName();
}
