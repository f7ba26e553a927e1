"""HTTP/1.1 to the Docker engine, one request per connection: the request written, the status line and headers
read, the body read as the engine frames it (Content-Length, chunked, or until the connection closes, as after an
upgrade to a raw stream). Just what the Engine API needs (validator.engine.api): no redirects, no keep-alive, no
compression. The standard library's http.client does the same with email's header parser, 10 ms more at every start.

A socket timeout raises TimeoutError from any read; any other failure of the connection is an OSError, and an
answer that is no HTTP is a WireError (an OSError too).
"""

from __future__ import annotations

import socket
from typing import Any

_MAX_LINE = 64 * 1024  # of a status line, header or chunk size line
_MAX_HEADERS = 200


class WireError(OSError):
    """The answer is not HTTP/1.x as expected."""


def connect(unix: str | None, address: tuple[str, int] | None, tls: Any, timeout: float | None) -> socket.socket:
    """A socket to the engine: its unix socket path, or a TCP address (wrapped in TLS when ``tls`` is an
    ssl.SSLContext)."""
    if unix is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(timeout)
            sock.connect(unix)
        except BaseException:
            sock.close()
            raise
        return sock
    assert address is not None
    sock = socket.create_connection(address, timeout=timeout)
    if tls is not None:
        try:
            sock = tls.wrap_socket(sock, server_hostname=address[0])
        except BaseException:
            sock.close()
            raise
    return sock


class Response:
    """A response: ``status``, ``reason``, ``headers`` (lower-case names) and the body, read with read()."""

    def __init__(self, sock: socket.socket, method: str):
        self._sock = sock
        self._file = sock.makefile("rb")
        try:
            status, reason = _status(self._line())
        except ValueError as e:
            raise WireError(f"not an HTTP status line: {e}") from None
        self.status, self.reason = status, reason
        self.headers: dict[str, str] = {}
        for _ in range(_MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n", b""):
                break
            name, sep, value = line.decode("latin-1").partition(":")
            if not sep:
                raise WireError(f"not an HTTP header: {line[:80]!r}")
            self.headers[name.strip().lower()] = value.strip()
        else:
            raise WireError(f"more than {_MAX_HEADERS} headers")
        self._chunked = self.headers.get("transfer-encoding", "").lower() == "chunked"
        self._chunk_left = 0
        self._left: int | None = None  # bytes of body left; None: until the connection closes
        if method == "HEAD" or status in (204, 304) or (100 <= status < 200 and status != 101):
            self._left = 0
        elif not self._chunked and "content-length" in self.headers:
            try:
                self._left = int(self.headers["content-length"])
            except ValueError:
                raise WireError(f"Content-Length {self.headers['content-length']!r}") from None
        self._done = self._left == 0

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())

    def _line(self) -> bytes:
        line = self._file.readline(_MAX_LINE + 1)
        if len(line) > _MAX_LINE:
            raise WireError("a line longer than 64 KiB")
        return line

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes of the body (all of it for -1); b"" at its end. Blocks until some arrive."""
        if n < 0:
            parts: list[bytes] = []
            while True:
                part = self.read(1 << 20)
                if not part:
                    return b"".join(parts)
                parts.append(part)
        if self._done or n == 0:
            return b""
        if self._chunked:
            if self._chunk_left == 0:
                line = self._line()
                if not line:
                    raise WireError("the connection closed before the body's end")
                size = line.split(b";", 1)[0].strip()
                try:
                    self._chunk_left = int(size, 16)
                except ValueError:
                    raise WireError(f"not a chunk size: {size[:40]!r}") from None
                if self._chunk_left == 0:
                    while self._line() not in (b"\r\n", b"\n", b""):  # the trailer
                        pass
                    self._done = True
                    return b""
            data = self._file.read(min(n, self._chunk_left))
            if not data:
                raise WireError("the connection closed inside a chunk")
            self._chunk_left -= len(data)
            if self._chunk_left == 0:
                self._line()  # the CRLF after the chunk's data
            return data
        if self._left is None:
            data = self._file.read1(n)
            self._done = not data
            return data
        data = self._file.read(min(n, self._left))
        if not data:
            raise WireError("the connection closed before the body's end")
        self._left -= len(data)
        self._done = self._left == 0
        return data

    def close(self) -> None:
        """Close the connection, also from another thread while a read waits (the socket is shut down first)."""
        try:
            self._sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self._file.close()
        self._sock.close()


def _status(line: bytes) -> tuple[int, str]:
    parts = line.decode("latin-1").rstrip("\r\n").split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
        raise ValueError(repr(line[:80]))
    return int(parts[1]), parts[2] if len(parts) > 2 else ""


def request(sock: socket.socket, method: str, target: str, host: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> Response:
    """Send one request on a fresh connection (Connection: close unless the headers say otherwise) and read its
    response's status line and headers."""
    lines = [f"{method} {target} HTTP/1.1", f"Host: {host}", "User-Agent: medcube"]
    extra = {"Connection": "close", **(headers or {})}
    if body is not None:
        extra["Content-Length"] = str(len(body))
    elif method in ("POST", "PUT", "DELETE"):
        extra["Content-Length"] = "0"
    lines += [f"{k}: {v}" for k, v in extra.items()]
    sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1") + (body or b""))
    return Response(sock, method)
