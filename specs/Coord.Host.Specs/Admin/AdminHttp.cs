using System.Net;
using System.Text.Json;

namespace Coord.Host.Specs.Admin;

/// <summary>One answer of an admin HTTP server: status, content type and body.</summary>
internal sealed record HttpAnswer(HttpStatusCode Status, string ContentType, string Body)
{
    public JsonElement Json => JsonDocument.Parse(Body).RootElement;
}

/// <summary>GETs against an admin HTTP server (Coord's or ZooKeeper's), every call bounded.</summary>
internal static class AdminHttp
{
    private static readonly HttpClient Client = new() { Timeout = TimeSpan.FromSeconds(15) };

    public static async Task<HttpAnswer> GetAsync(Uri baseUri, string path)
    {
        using var response = await Client.GetAsync(new Uri(baseUri, path));
        return new HttpAnswer(response.StatusCode, response.Content.Headers.ContentType?.MediaType ?? "",
            await response.Content.ReadAsStringAsync());
    }

    public static async Task<HttpStatusCode> PostAsync(Uri baseUri, string path)
    {
        using var response = await Client.PostAsync(new Uri(baseUri, path), new StringContent(""));
        return response.StatusCode;
    }

    /// <summary>GET that may meet a closed port: null when the connection is refused.</summary>
    public static async Task<HttpAnswer?> GetOrRefusedAsync(Uri baseUri, string path)
    {
        try { return await GetAsync(baseUri, path); }
        catch (HttpRequestException e) when (e.HttpRequestError == HttpRequestError.ConnectionError) { return null; }
    }
}
