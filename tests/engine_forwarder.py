"""The engine reached over plain TCP: a forwarder on 127.0.0.1 to the engine's unix socket, for the tests of
DOCKER_HOST=tcp:// and of an engine that stops answering (cut() closes every connection and stops listening)."""

from __future__ import annotations

import os
import socket
import threading


class Forwarder:
    def __init__(self) -> None:
        self.unix = (os.environ.get("DOCKER_HOST") or "unix:///var/run/docker.sock").removeprefix("unix://")
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.host = f"tcp://127.0.0.1:{self._listener.getsockname()[1]}"
        self._open: list[socket.socket] = []
        self._lock = threading.Lock()
        self._cut = False
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            if self._cut:  # accepted as the listener closed: the engine is gone, nothing answers any more
                client.close()
                return
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(self.unix)
            with self._lock:
                self._open += [client, upstream]
            threading.Thread(target=self._pipe, args=(client, upstream), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        try:
            while data := a.recv(65536):
                b.sendall(data)
        except OSError:
            pass
        finally:
            for s in (a, b):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass

    def cut(self) -> None:
        """The engine is gone: no new connection is accepted, and every open one is reset."""
        self._cut = True
        try:
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the accept() that close() alone leaves listening
        except OSError:
            pass
        self._listener.close()
        with self._lock:
            for s in self._open:
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
                s.close()
