using System.Diagnostics;
using System.Text;

namespace CacheBus.IntegrationTests.Infrastructure;

/// <summary>
/// Runs a script on Debian's <c>/usr/bin/python3</c>: Debian's python3-django and python3-pymemcache install for that
/// interpreter, not for the python3 first on PATH. A script that exits non-zero fails the test with its stderr.
/// </summary>
internal static class DebianPython
{
    public const string Interpreter = "/usr/bin/python3";

    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(2);

    /// <summary>Runs the script with <paramref name="input"/> on stdin (UTF-8) and returns its stdout (UTF-8).</summary>
    public static async Task<string> RunAsync(string script, IEnumerable<string> arguments, string input, CancellationToken ct)
    {
        var start = new ProcessStartInfo(Interpreter)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
            ArgumentList = { "-I", script }, // -I: no user site-packages, no PYTHON* variables; only Debian's packages
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        using var process = Process.Start(start) ?? throw new InvalidOperationException($"{Interpreter} did not start");
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(Limit);
        try
        {
            var stdout = process.StandardOutput.ReadToEndAsync(timeout.Token);
            var stderr = process.StandardError.ReadToEndAsync(timeout.Token);
            await process.StandardInput.WriteAsync(input.AsMemory(), timeout.Token);
            process.StandardInput.Close();
            await process.WaitForExitAsync(timeout.Token);
            return process.ExitCode == 0
                ? await stdout
                : throw new InvalidOperationException($"{Interpreter} {script} exited with {process.ExitCode}:\n{await stderr}");
        }
        catch (OperationCanceledException) when (!process.HasExited)
        {
            process.Kill();
            throw;
        }
    }
}
