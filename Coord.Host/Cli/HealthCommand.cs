using System.CommandLine;

namespace Coord.Host.Cli;

/// <summary>
/// `coord health [--url URL]`: asks a running server's admin HTTP server for <c>/health</c> (or any probe URL, such as
/// <c>/ready</c>) and exits 0 on a 2xx answer. It exists for the container image's HEALTHCHECK: the runtime-deps base
/// image has no curl or wget, and the coord executable is already there.
/// </summary>
public static class HealthCommand
{
    public const string DefaultUrl = "http://127.0.0.1:8080/health";

    /// <summary>Exit codes: 0 healthy (2xx), 1 not healthy (another status, refused, timed out), 2 usage.</summary>
    public const int Healthy = 0, Unhealthy = 1, Usage = 2;

    public static Command Create()
    {
        var url = new Option<string>("--url")
        {
            Description = $"the probe to ask (default {DefaultUrl}; /ready for readiness)",
            DefaultValueFactory = _ => DefaultUrl,
        };
        var timeout = new Option<double>("--timeout")
        {
            Description = "seconds to wait for the answer (default 3)",
            DefaultValueFactory = _ => 3,
        };
        var health = new Command("health", "Ask a server's admin HTTP server for /health (or --url); exit 0 on 2xx, 1 otherwise, 2 usage")
        {
            url, timeout,
        };
        health.SetAction((parse, ct) => RunAsync(parse.GetRequiredValue(url), parse.GetValue(timeout),
            parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error, ct));
        return health;
    }

    private static async Task<int> RunAsync(string url, double timeoutSeconds, TextWriter output, TextWriter error, CancellationToken ct)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
        {
            await error.WriteLineAsync($"coord: --url must be an absolute http(s) URL such as {DefaultUrl}, not '{url}'");
            return Usage;
        }
        if (!(timeoutSeconds > 0 && timeoutSeconds <= 3600))
        {
            await error.WriteLineAsync($"coord: --timeout must be between 0 and 3600 seconds, not {timeoutSeconds}");
            return Usage;
        }

        // No proxy: the probe is for this machine's (or this container's) own server, whatever HTTP_PROXY says.
        using var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }) { Timeout = TimeSpan.FromSeconds(timeoutSeconds) };
        try
        {
            using var response = await http.GetAsync(uri, ct);
            var body = (await response.Content.ReadAsStringAsync(ct)).Trim();
            int status = (int)response.StatusCode;
            var line = $"{uri}: {status} {body}";
            if (response.IsSuccessStatusCode)
            {
                await output.WriteLineAsync(line);
                return Healthy;
            }
            await error.WriteLineAsync("coord: not healthy: " + line);
            return Unhealthy;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var why = ex is TaskCanceledException ? $"no answer within {timeoutSeconds} s" : ex.Message;
            await error.WriteLineAsync($"coord: not healthy: {uri}: {why}");
            return Unhealthy;
        }
    }
}
