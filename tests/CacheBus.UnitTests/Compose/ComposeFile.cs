using System.Text.RegularExpressions;
using CacheBus.UnitTests.Contracts;
using YamlDotNet.Serialization;

namespace CacheBus.UnitTests.Compose;

/// <summary>
/// compose/docker-compose.yml, parsed; no Docker engine needed to read it. Values are read as Compose reads them when
/// nothing is set in the environment: <c>${NAME:-default}</c> is the default, <c>$$</c> a dollar sign.
/// </summary>
internal sealed partial class ComposeFile
{
    private readonly Dictionary<object, object> _services;

    private ComposeFile(Dictionary<object, object> services) => _services = services;

    public static string Directory => Path.Combine(RepositoryFiles.Root, "compose");

    public static ComposeFile Load()
    {
        var root = new DeserializerBuilder().Build()
            .Deserialize<Dictionary<object, object>>(File.ReadAllText(Path.Combine(Directory, "docker-compose.yml")));
        return new ComposeFile((Dictionary<object, object>)root["services"]);
    }

    public IEnumerable<string> ServiceNames => _services.Keys.Cast<string>();

    public Dictionary<object, object> Service(string name) => (Dictionary<object, object>)_services[name];

    public Dictionary<string, string> Environment(string name) =>
        ((Dictionary<object, object>)Service(name)["environment"]).ToDictionary(e => (string)e.Key, e => Interpolate((string)e.Value));

    /// <summary>The service's command, interpolated.</summary>
    public IReadOnlyList<string> Command(string name) => [.. ((List<object>)Service(name)["command"]).Cast<string>().Select(Interpolate)];

    private static string Interpolate(string value) =>
        Variable().Replace(value, m => m.Value == "$$" ? "$" : m.Groups["default"].Success ? m.Groups["default"].Value
            : throw new InvalidOperationException($"{m.Value} has no default: the file would not start without an environment"));

    [GeneratedRegex(@"\$\$|\$\{(?<name>\w+)(:-(?<default>[^}]*))?\}")]
    private static partial Regex Variable();

    /// <summary>The container ports a service publishes ("127.0.0.1:55432:5432" publishes 5432).</summary>
    public IEnumerable<int> ContainerPorts(string name) =>
        Service(name).TryGetValue("ports", out var ports)
            ? ((List<object>)ports).Select(p => int.Parse(((string)p).Split(':')[^1], System.Globalization.CultureInfo.InvariantCulture))
            : [];

    public bool HasHealthcheck(string name) => Service(name).ContainsKey("healthcheck");

    public string HealthcheckCommand(string name) =>
        string.Join(' ', ((List<object>)((Dictionary<object, object>)Service(name)["healthcheck"])["test"]).Cast<string>());

    /// <summary>Host paths of bind mounts, relative to the compose folder.</summary>
    public IEnumerable<string> MountedPaths(string name) =>
        Service(name).TryGetValue("volumes", out var volumes) ? ((List<object>)volumes).Select(v => ((string)v).Split(':')[0]) : [];

    public string? DependsOnCondition(string name, string dependency) =>
        Service(name).TryGetValue("depends_on", out var depends) && depends is Dictionary<object, object> map
            && map.TryGetValue(dependency, out var spec) && spec is Dictionary<object, object> details
            ? (string)details["condition"]
            : null;
}
