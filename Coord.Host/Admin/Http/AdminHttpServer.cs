using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Coord.Actors.Faults;
using Prometheus;

namespace Coord.Host.Admin.Http;

/// <summary>
/// The admin HTTP server on Kestrel: ZooKeeper's AdminServer commands at <c>GET /commands/&lt;name&gt;</c> (a list at
/// <c>/commands</c>), <c>/health</c> and <c>/ready</c> for an orchestrator's probes, and <c>/metrics</c> for Prometheus.
/// One request delegate switches on the path (no routing, no reflection). Started by <see cref="CoordServer"/> before
/// recovery, so /health and /ready answer while a big data folder loads; stopped at the end of its shutdown, so a
/// probe sees /ready turn 503 while the server drains.
/// </summary>
public sealed partial class AdminHttpServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly ServerLifecycle _lifecycle;
    private readonly AdminCommands _commands;
    private readonly CoordMetrics _metrics;
    private readonly ILogger _log;
    private int _stopped;

    private AdminHttpServer(WebApplication app, ServerLifecycle lifecycle, CoordMetrics metrics, ILogger log)
    {
        _app = app;
        _lifecycle = lifecycle;
        _metrics = metrics;
        _commands = new AdminCommands(lifecycle);
        _log = log;
        app.Run(HandleAsync);
    }

    /// <summary>The bound endpoint (the real port when 0 was configured).</summary>
    public IPEndPoint EndPoint { get; private set; } = new(IPAddress.Loopback, 0);

    /// <summary>Binds <paramref name="host"/>:<paramref name="port"/> and starts answering. A port in use or an address
    /// that cannot be bound is an <see cref="IOException"/> naming the key to change.</summary>
    public static async Task<AdminHttpServer> StartAsync(
        string host, int port, ServerLifecycle lifecycle, CoordMetrics metrics, ILoggerFactory loggers, CancellationToken ct = default)
    {
        var address = IPAddress.TryParse(host, out var ip) ? ip : (await Dns.GetHostAddressesAsync(host, ct)).First();
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(o =>
        {
            o.AddServerHeader = false;
            o.Listen(address, port);
        });
        // Kestrel's own warnings and errors go to the server's log; its per-request information lines do not.
        builder.Services.AddSingleton<ILoggerFactory>(new WarningsOnly(loggers));
        var server = new AdminHttpServer(builder.Build(), lifecycle, metrics, loggers.CreateLogger("Coord.Admin"));
        try
        {
            await server._app.StartAsync(ct);
        }
        catch (Exception ex) when (ex is IOException or System.Net.Sockets.SocketException)
        {
            await server._app.DisposeAsync();
            throw new IOException($"the admin HTTP server cannot listen on {host}:{port} ({ex.Message}); change coord.admin.port "
                + "(--admin-port; 0 picks a free port) or coord.admin.host, or turn it off with coord.admin.enabled = false", ex);
        }
        var bound = server._app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        server.EndPoint = new IPEndPoint(address, new Uri(bound).Port);
        LogListening(server._log, server.EndPoint.ToString());
        return server;
    }

    private async Task HandleAsync(HttpContext ctx)
    {
        var path = ctx.Request.Path.Value ?? "/";
        if (Failpoints.Enabled && (path == "/failpoints" || path.StartsWith("/failpoints/", StringComparison.Ordinal)))
        {
            await FailpointsPage.HandleAsync(ctx, path);
            return;
        }
        if (!HttpMethods.IsGet(ctx.Request.Method) && !HttpMethods.IsHead(ctx.Request.Method))
        {
            ctx.Response.StatusCode = StatusCodes.Status405MethodNotAllowed;
            ctx.Response.Headers.Allow = "GET, HEAD";
            return;
        }
        var ct = ctx.RequestAborted;
        switch (path)
        {
            case "/health":
                await WriteJsonAsync(ctx, _lifecycle.Healthy ? 200 : 503, w => w.WriteString("status", _lifecycle.Healthy ? "ok" : "failed"));
                return;
            case "/ready":
            {
                bool ready = _lifecycle.Ready;
                await WriteJsonAsync(ctx, ready ? 200 : 503, w =>
                {
                    w.WriteBoolean("ready", ready);
                    w.WriteString("state", _lifecycle.Failed ? "failed" : ServerLifecycle.Name(_lifecycle.State));
                    w.WriteString("server_state", _lifecycle.Role.ServerState);
                });
                return;
            }
            case "/metrics":
                ctx.Response.ContentType = "text/plain; version=0.0.4; charset=utf-8";
                await _metrics.Registry.CollectAndExportAsTextAsync(ctx.Response.Body, ct);
                return;
            case "/commands" or "/commands/":
                await WriteCommandListAsync(ctx);
                return;
        }
        if (path.StartsWith("/commands/", StringComparison.Ordinal))
        {
            var result = await _commands.RunAsync(path["/commands/".Length..], ct);
            ctx.Response.StatusCode = result.Status;
            ctx.Response.ContentType = "application/json";
            await ctx.Response.Body.WriteAsync(result.Json, ct);
            return;
        }
        await WriteJsonAsync(ctx, 404, w => w.WriteString("error", $"no such page: {path}; try /commands, /health, /ready or /metrics"));
    }

    /// <summary>/commands: one link per command's primary name, as ZooKeeper's AdminServer lists them.</summary>
    private async Task WriteCommandListAsync(HttpContext ctx)
    {
        var sb = new StringBuilder();
        foreach (var name in _commands.Names) sb.Append("<a href=\"/commands/").Append(name).Append("\">").Append(name).Append("</a>\n<br/>\n");
        ctx.Response.ContentType = "text/html; charset=utf-8";
        await ctx.Response.WriteAsync(sb.ToString(), ctx.RequestAborted);
    }

    private static async Task WriteJsonAsync(HttpContext ctx, int status, Action<Utf8JsonWriter> write)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "application/json";
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            write(w);
            w.WriteEndObject();
        }
        await ctx.Response.Body.WriteAsync(buffer.ToArray(), ctx.RequestAborted);
    }

    /// <summary>Stops listening; requests in flight get a moment to finish. Idempotent.</summary>
    public async Task StopAsync()
    {
        if (Interlocked.Exchange(ref _stopped, 1) != 0) return;
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2));
        try { await _app.StopAsync(grace.Token); }
        catch (OperationCanceledException) { }
        await _app.DisposeAsync();
        LogStopped(_log);
    }

    public ValueTask DisposeAsync() => new(StopAsync());

    [LoggerMessage(EventId = 3100, Level = LogLevel.Information, Message = "Admin HTTP server on http://{EndPoint}")]
    private static partial void LogListening(ILogger log, string endPoint);

    [LoggerMessage(EventId = 3101, Level = LogLevel.Information, Message = "Admin HTTP server stopped")]
    private static partial void LogStopped(ILogger log);

    /// <summary>The server's loggers, with ASP.NET Core's categories held to warnings and above.</summary>
    private sealed class WarningsOnly(ILoggerFactory inner) : ILoggerFactory
    {
        public ILogger CreateLogger(string categoryName) =>
            categoryName.StartsWith("Microsoft.", StringComparison.Ordinal) ? new AtLeast(inner.CreateLogger(categoryName), LogLevel.Warning) : inner.CreateLogger(categoryName);

        public void AddProvider(ILoggerProvider provider) { }

        public void Dispose() { }
    }

    private sealed class AtLeast(ILogger inner, LogLevel min) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => inner.BeginScope(state);
        public bool IsEnabled(LogLevel level) => level >= min && inner.IsEnabled(level);

        public void Log<TState>(LogLevel level, EventId id, TState state, Exception? error, Func<TState, Exception?, string> format)
        {
            if (IsEnabled(level)) inner.Log(level, id, state, error, format);
        }
    }
}
