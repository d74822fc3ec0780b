"""An ephemeral's owner for the ensemble fault specs: connects with a short session (kazoo, every member in the
connect string), creates PATH as an ephemeral node, prints "READY <session id in hex> <negotiated timeout ms>",
then blocks on stdin until it is killed (the spec kill -9s it, so the session ends by expiry, not by close).

Usage: ephemeral_holder.py HOSTS PATH TIMEOUT_S
"""
import sys

from kazoo.client import KazooClient


def main():
    hosts, path, timeout_s = sys.argv[1], sys.argv[2], float(sys.argv[3])
    c = KazooClient(hosts=hosts, timeout=timeout_s)
    c.start(timeout=15)
    c.create(path, b"held", ephemeral=True, makepath=True)
    session_id, _ = c.client_id
    print("READY %x %d" % (session_id, c._session_timeout), flush=True)
    sys.stdin.read()


if __name__ == "__main__":
    main()
