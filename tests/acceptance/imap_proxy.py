"""A TCP proxy on loopback in front of the test Dovecot: it can reset every open connection at once (what a
server restart or a NAT timeout does to the daemon) or stall (the server stops answering mid-command)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager


class ImapProxy:
    """127.0.0.1:`port` forwarding to `upstream`; `reset()` kills the open connections, `stall` holds replies."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self._listener.getsockname()[1])
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []
        self.connections = 0
        self.resets = 0
        #: While set, nothing from the server reaches the client (the connection stays open).
        self.stall = threading.Event()
        #: What the clients sent (the last 1 MB), for tests that count commands.
        self.heard = bytearray()
        self._closed = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=10)
            except OSError:
                client.close()
                continue
            server.settimeout(None)
            with self._lock:
                self._open.append(client)
                self.connections += 1
            threading.Thread(target=self._pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, True), daemon=True).start()

    def _pump(self, src: socket.socket, dst: socket.socket, from_server: bool) -> None:
        try:
            while data := src.recv(65536):
                if not from_server:
                    with self._lock:
                        self.heard += data
                        del self.heard[:-1_000_000]
                while from_server and self.stall.is_set() and not self._closed:
                    time.sleep(0.05)
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            src.close()

    def commands(self, name: bytes) -> int:
        """How many times a client sent the command `name` (b"NOOP", b"IDLE") with a tag before it."""
        with self._lock:
            return bytes(self.heard).upper().count(b" " + name.upper() + b"\r\n")

    def open(self) -> int:
        """How many client connections are open now."""
        with self._lock:
            self._open = [c for c in self._open if c.fileno() != -1]
            return len(self._open)

    def reset(self) -> int:
        """Cut every connection open now (the daemon reads EOF mid-command, as when Dovecot restarts); how many."""
        with self._lock:
            victims, self._open = self._open, []
        killed = 0
        for client in victims:
            try:
                client.shutdown(socket.SHUT_RDWR)
                killed += 1
            except OSError:  # already closed by the daemon
                pass
        self.resets += 1
        return killed

    def close(self) -> None:
        self._closed = True
        self.stall.clear()
        self._listener.close()
        self.reset()


@contextmanager
def imap_proxy(upstream: tuple[str, int]) -> Iterator[ImapProxy]:
    proxy = ImapProxy(upstream)
    try:
        yield proxy
    finally:
        proxy.close()
