"""ACLs and digest auth: make_digest_acl, NoAuth for others, auth_data on connect, add_auth, set_acls
bumping aversion, and the super digest (super:test) when the server runs with it."""
from kazoo.exceptions import BadVersionError, NoAuthError
from kazoo.security import OPEN_ACL_UNSAFE, READ_ACL_UNSAFE, make_digest_acl, make_digest_acl_credential

from _common import check, client, eq, raises, run, unique_root


def main():
    owner = client(auth_data=[("digest", "alice:secret")])
    anon = client()
    other = client(auth_data=[("digest", "bob:secret")])
    superuser = client(auth_data=[("digest", "super:test")])
    clients = [owner, anon, other, superuser]
    try:
        eq(make_digest_acl_credential("super", "test"), "super:D/InIHSb7yEEbrWz8b9l71RjZJU=", "super digest")
        root = unique_root(anon, "acl")
        alice_all = make_digest_acl("alice", "secret", all=True)
        path = owner.create(root + "/secret", b"s3cr3t", acl=[alice_all])

        acls, st = owner.get_acls(path)
        eq(len(acls), 1, "one ACL entry")
        eq(acls[0].id.scheme, "digest", "ACL scheme")
        eq(acls[0].id.id, make_digest_acl_credential("alice", "secret"), "ACL id is user:base64(sha1)")
        eq(acls[0].perms, 31, "ALL perms")
        eq(st.aversion, 0, "aversion after create")

        eq(owner.get(path)[0], b"s3cr3t", "owner reads")
        raises(NoAuthError, anon.get, path)
        raises(NoAuthError, other.get, path)
        raises(NoAuthError, anon.set, path, b"x")
        raises(NoAuthError, anon.create, path + "/child")
        owner.create(path + "/open", acl=OPEN_ACL_UNSAFE)
        raises(NoAuthError, anon.delete, path + "/open")  # delete needs DELETE on the parent
        check(anon.exists(path) is not None, "exists needs no permission")
        raises(NoAuthError, anon.get_acls, path)  # getACL needs READ or ADMIN

        # add_auth on a live connection grants access.
        anon.add_auth("digest", "alice:secret")
        eq(anon.get(path)[0], b"s3cr3t", "reads after add_auth")

        # super digest bypasses ACLs.
        eq(superuser.get(path)[0], b"s3cr3t", "super reads anything")
        superuser.set(path, b"by super")

        # read-only world ACL: reads allowed, writes refused.
        ro = anon.create(root + "/ro", b"r", acl=READ_ACL_UNSAFE)
        eq(other.get(ro)[0], b"r", "world-readable")
        raises(NoAuthError, other.set, ro, b"x")

        # setACL bumps aversion only and checks the expected aversion.
        before = owner.exists(path)
        raises(BadVersionError, owner.set_acls, path, OPEN_ACL_UNSAFE, version=5)
        st2 = owner.set_acls(path, OPEN_ACL_UNSAFE, version=0)
        eq(st2.aversion, 1, "aversion after setACL")
        eq(st2.version, before.version, "setACL leaves version alone")
        eq(st2.mzxid, before.mzxid, "setACL leaves mzxid alone")
        eq(other.get(path)[0], b"by super", "open after setACL")

        superuser.delete(root, recursive=True)
    finally:
        for c in clients:
            c.stop()
            c.close()


run(main)
