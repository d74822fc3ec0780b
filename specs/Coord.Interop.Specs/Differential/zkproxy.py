"""A TCP proxy per session slot that the differential can cut and restore.

cut(): every live connection through the proxy is shut down on both sides (the client sees its connection drop,
the server sees the client go), and connections made while cut are accepted but held, unforwarded.
restore(): held connections are linked to the server, so the client's reconnect (ConnectRequest with its session
id, already written) goes through at once instead of after kazoo's retry back-off.
Nothing arriving on a cut connection is forwarded, so what a session sees is decided by when cut() returned.
"""
import socket
import threading


class CuttableProxy:
    def __init__(self, upstream_host, upstream_port):
        self.upstream = (upstream_host, upstream_port)
        self.listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen(16)
        self.port = self.listener.getsockname()[1]
        self.lock = threading.Lock()
        self.is_cut = False
        self.closed = False
        self.links = []      # [_Link]
        self.held = []       # client sockets accepted while cut
        self.accepter = threading.Thread(target=self._accept_loop, daemon=True)
        self.accepter.start()

    @property
    def hostport(self):
        return "127.0.0.1:%d" % self.port

    def _accept_loop(self):
        while True:
            try:
                c, _ = self.listener.accept()
            except OSError:
                return
            c.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            with self.lock:
                if self.closed:
                    _kill(c)
                elif self.is_cut:
                    self.held.append(c)
                else:
                    self._link(c)

    def _link(self, c):
        try:
            s = socket.create_connection(self.upstream, timeout=10)
            s.settimeout(None)
            s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        except OSError:
            _kill(c)
            return
        link = _Link(c, s)
        self.links.append(link)
        for a, b, gate in ((c, s, link.up), (s, c, link.down)):
            threading.Thread(target=self._pump, args=(a, b, gate, link), daemon=True).start()

    @staticmethod
    def _pump(a, b, gate, link):
        try:
            while True:
                data = a.recv(65536)
                if not data:
                    break
                with gate:           # one lock per direction: once cut() has passed it, nothing more is forwarded
                    if not link.alive:
                        break
                    b.sendall(data)
        except OSError:
            pass
        finally:
            link.kill()

    def cut(self):
        with self.lock:
            self.is_cut = True
            links, self.links = self.links, []
        for link in links:
            link.kill()

    def restore(self):
        with self.lock:
            self.is_cut = False
            held, self.held = self.held, []
            for c in held:
                self._link(c)

    def close(self):
        with self.lock:
            self.closed = True
            links, self.links = self.links, []
            held, self.held = self.held, []
        _kill(self.listener)
        for link in links:
            link.kill()
        for c in held:
            _kill(c)


class _Link:
    def __init__(self, client, server):
        self.client, self.server = client, server
        self.up, self.down = threading.Lock(), threading.Lock()
        self.alive = True

    def kill(self):
        # Shut the sockets first (a sendall blocked on them fails at once), then wait out any send in progress.
        _kill(self.client)
        _kill(self.server)
        with self.up, self.down:
            self.alive = False


def _kill(sock):
    try:
        sock.shutdown(socket.SHUT_RDWR)
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass
