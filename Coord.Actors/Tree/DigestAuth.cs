using System.Security.Cryptography;
using System.Text;

namespace Coord.Actors.Tree;

/// <summary>ZooKeeper's DigestAuthenticationProvider: the id for "user:password" is user:base64(sha1("user:password")).</summary>
public static class DigestAuth
{
    public static string Digest(string userColonPassword)
    {
        ArgumentNullException.ThrowIfNull(userColonPassword);
        int colon = userColonPassword.IndexOf(':');
        string user = colon < 0 ? userColonPassword : userColonPassword[..colon];
        byte[] hash = SHA1.HashData(Encoding.UTF8.GetBytes(userColonPassword));
        return user + ":" + Convert.ToBase64String(hash);
    }

    /// <summary>
    /// An ACL digest id must be exactly "user:hash" (Java's split(":") yielding two parts, so a trailing
    /// empty hash is invalid while an empty user is not).
    /// </summary>
    public static bool IsValidId(string id)
    {
        int colon = id.IndexOf(':');
        return colon >= 0 && colon < id.Length - 1 && id.IndexOf(':', colon + 1) < 0;
    }
}
