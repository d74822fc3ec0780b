using System.Text;
using Coord.Actors.Faults;
using Microsoft.AspNetCore.Http;

namespace Coord.Host.Admin.Http;

/// <summary>
/// <c>/failpoints</c> on the admin HTTP server, only in a process started with failpoints enabled (see
/// <see cref="Failpoints"/>): <c>GET /failpoints</c> lists every point as <c>name=spec hits=H fired=F</c>, one per
/// line; <c>PUT /failpoints/NAME</c> arms a point with the request body as its spec (<c>crash</c>, <c>fail</c>,
/// <c>delay(MS)</c>, <c>pause(MS)</c>, <c>off</c>, with <c>times=N</c> / <c>after=K</c>); <c>DELETE
/// /failpoints/NAME</c> turns it off. A bad name or spec is a 400 with the reason. <c>/failpoints/clock</c> jumps the wall clock.
/// </summary>
internal static class FailpointsPage
{
    public static async Task HandleAsync(HttpContext ctx, string path)
    {
        var registry = Failpoints.Registry;
        string method = ctx.Request.Method;
        if (path == "/failpoints")
        {
            if (!HttpMethods.IsGet(method))
            {
                await TextAsync(ctx, 405, "GET /failpoints lists them; PUT or DELETE /failpoints/NAME sets one\n");
                return;
            }
            var sb = new StringBuilder();
            foreach (var (name, armed, hits, fired) in registry.List()) sb.Append($"{name}={armed} hits={hits} fired={fired}\n");
            await TextAsync(ctx, 200, sb.ToString());
            return;
        }
        string point = path["/failpoints/".Length..];
        if (point == "clock")
        {
            await ClockAsync(ctx);
            return;
        }
        if (!registry.Knows(point))
        {
            await TextAsync(ctx, 404, $"no failpoint named '{point}'; the server has: {string.Join(", ", Failpoints.Names)}\n");
            return;
        }
        if (HttpMethods.IsDelete(method))
        {
            registry.Disarm(point);
            await TextAsync(ctx, 200, $"{point}=off\n");
            return;
        }
        if (!HttpMethods.IsPut(method) && !HttpMethods.IsPost(method))
        {
            await TextAsync(ctx, 405, "PUT /failpoints/NAME with the spec as body, or DELETE /failpoints/NAME\n");
            return;
        }
        using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
        string body = (await reader.ReadToEndAsync(ctx.RequestAborted)).Trim();
        FailpointSpec spec;
        try
        {
            spec = FailpointSpec.Parse(body);
        }
        catch (FormatException ex)
        {
            await TextAsync(ctx, 400, ex.Message + "\n");
            return;
        }
        registry.Arm(point, spec);
        await TextAsync(ctx, 200, $"{point}={spec}\n");
    }

    /// <summary>
    /// <c>GET /failpoints/clock</c>: the wall clock's offset in ms; <c>PUT</c> with a whole number (may be negative) sets
    /// it, a jump of this member's wall clock; <c>DELETE</c> sets it back to 0.
    /// </summary>
    private static async Task ClockAsync(HttpContext ctx)
    {
        string method = ctx.Request.Method;
        if (HttpMethods.IsDelete(method)) Failpoints.WallClockOffsetMs = 0;
        else if (HttpMethods.IsPut(method) || HttpMethods.IsPost(method))
        {
            using var reader = new StreamReader(ctx.Request.Body, Encoding.UTF8);
            string body = (await reader.ReadToEndAsync(ctx.RequestAborted)).Trim();
            if (!long.TryParse(body, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out long offset))
            {
                await TextAsync(ctx, 400, $"the clock offset is a whole number of milliseconds (may be negative), not '{body}'\n");
                return;
            }
            Failpoints.WallClockOffsetMs = offset;
        }
        else if (!HttpMethods.IsGet(method))
        {
            await TextAsync(ctx, 405, "GET, PUT or DELETE /failpoints/clock\n");
            return;
        }
        await TextAsync(ctx, 200, $"clock offset {Failpoints.WallClockOffsetMs} ms\n");
    }

    private static async Task TextAsync(HttpContext ctx, int status, string text)
    {
        ctx.Response.StatusCode = status;
        ctx.Response.ContentType = "text/plain; charset=utf-8";
        await ctx.Response.WriteAsync(text, ctx.RequestAborted);
    }
}
