#!/usr/bin/python3
"""Drives kazoo through most client requests (for the recording proxy that builds the fuzz seed corpus).

Usage: /usr/bin/python3 corpus_kazoo.py HOST:PORT
Touches only /fz (deleted at the end). Prints "ok" when done.
"""
import sys
import threading

from kazoo.client import KazooClient
from kazoo.exceptions import NoNodeError, NodeExistsError, BadVersionError, NoAuthError
from kazoo.security import make_digest_acl, OPEN_ACL_UNSAFE

hostport = sys.argv[1]
events = []
got = threading.Event()


def watch(ev):
    events.append(ev)
    got.set()


a = KazooClient(hosts=hostport, timeout=10.0)
a.start(timeout=15)
a.add_auth("digest", "fz:secret")
b = KazooClient(hosts=hostport, timeout=10.0)
b.start(timeout=15)

a.create("/fz", b"root")
a.create("/fz/p", b"")
a.create("/fz/n", None)
a.create("/fz/e", b"eph", ephemeral=True)
a.create("/fz/s-", b"seq", sequence=True)
a.create("/fz/es-", b"eseq", ephemeral=True, sequence=True)
a.create("/fz/big", b"x" * 3000, include_data=True)
try:
    a.create("/fz/p", b"again")
except NodeExistsError:
    pass
try:
    a.create("/fz/e/child", b"")
except Exception:
    pass
b.get("/fz/p", watch=watch)
b.exists("/fz/missing", watch=watch)
b.get_children("/fz", watch=watch)
b.get_children("/fz", include_data=True)
a.set("/fz/p", b"v1")
a.set("/fz/p", b"v2", version=1)
try:
    a.set("/fz/p", b"bad", version=7)
except BadVersionError:
    pass
a.create("/fz/missing", b"now")
a.exists("/fz/p")
a.get("/fz/big")
a.get_acls("/fz/p")
acl = make_digest_acl("fz", "secret", all=True)
a.create("/fz/locked", b"secret", acl=[acl])
try:
    b.get("/fz/locked")
except NoAuthError:
    pass
a.set_acls("/fz/p", [acl] + list(OPEN_ACL_UNSAFE), version=0)
a.sync("/fz")
t = a.transaction()
t.create("/fz/t1", b"t")
t.set_data("/fz/p", b"t")
t.check("/fz/p", 4)
t.delete("/fz/missing")
t.commit()
t = a.transaction()
t.create("/fz/t2", b"t")
t.check("/fz/p", 0)          # fails: whole multi rolled back
t.commit()
b.add_auth("digest", "fz:secret")
b.get("/fz/locked")
got.wait(5)
for p in ("/fz/p", "/fz/t1", "/fz/big", "/fz/locked", "/fz/n", "/fz/missing"):
    try:
        a.delete(p)
    except NoNodeError:
        pass
b.stop()
b.close()
a.delete("/fz", recursive=True)
a.stop()
a.close()
print("ok")
