using Coord.Client;

namespace Coord.Akka;

internal static class Nodes
{
    /// <summary>Creates every missing persistent node of an absolute path (another session creating one meanwhile is fine).</summary>
    public static async Task EnsurePathAsync(CoordClient client, string path, CancellationToken ct)
    {
        var at = 0;
        while ((at = path.IndexOf('/', at + 1)) is > 0 || at == -1)
        {
            var prefix = at == -1 ? path : path[..at];
            try
            {
                await client.CreateAsync(prefix, null, ct: ct).ConfigureAwait(false);
            }
            catch (NodeExistsException)
            {
            }

            if (at == -1) return;
        }
    }
}
