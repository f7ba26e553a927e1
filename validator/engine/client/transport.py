"""The engine's transport: the standard library's http.client over the engine's unix socket (a connection class
of a few lines), TCP or TLS; a response that can be closed from another thread while a read waits; and the TLS
settings of this environment, read once for this client and the docker SDK alike."""

from __future__ import annotations

import http.client
import os
import socket
from typing import Any

from validator.errors import MedcubeError


class TlsSettings:
    """DOCKER_TLS_VERIFY and DOCKER_CERT_PATH, read once, as the docker CLI and SDK read them: a verified server with
    DOCKER_TLS_VERIFY, else only the client certificate of DOCKER_CERT_PATH. The same settings make this client's
    SSL context and the docker SDK's TLSConfig (builds, pulls)."""

    def __init__(self, verify: bool, cert_path: str | None):
        self.verify = verify
        self.cert_path = cert_path
        self._context: Any = None

    @classmethod
    def from_env(cls, required: bool = False) -> TlsSettings | None:
        """The settings of this environment; None for plain TCP (unless ``required``, as for https://)."""
        verify = bool(os.environ.get("DOCKER_TLS_VERIFY"))
        cert_path = os.environ.get("DOCKER_CERT_PATH") or None
        if not verify and not cert_path and not required:
            return None
        return cls(verify, cert_path)

    def _files(self) -> tuple[str | None, str | None, str | None]:
        """(CA, client certificate, client key), each None when absent."""
        if self.cert_path is None and not self.verify:
            return None, None, None
        base = self.cert_path or os.path.join(os.path.expanduser("~"), ".docker")
        ca, cert, key = (os.path.join(base, name) for name in ("ca.pem", "cert.pem", "key.pem"))
        both = os.path.isfile(cert) and os.path.isfile(key)
        return (ca if self.verify else None), (cert if both else None), (key if both else None)

    def context(self):
        """An ssl.SSLContext for http.client, made at the first call."""
        if self._context is None:
            import ssl

            ca, cert, key = self._files()
            if self.cert_path is None and not self.verify:  # https:// with no docker TLS variables
                ctx = ssl.create_default_context()
            else:
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                if ca is not None:
                    ctx.load_verify_locations(cafile=ca)
                else:
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
            if cert is not None and key is not None:
                ctx.load_cert_chain(cert, key)
            self._context = ctx
        return self._context

    def sdk(self):
        """The same settings as the docker SDK's TLSConfig."""
        from docker.tls import TLSConfig

        ca, cert, key = self._files()
        return TLSConfig(client_cert=(cert, key) if cert and key else None, ca_cert=ca, verify=ca is not None or None)


class UnixConnection(http.client.HTTPConnection):
    """http.client over the engine's unix socket."""

    def __init__(self, path: str, timeout: float | None):
        super().__init__("docker", timeout=timeout)
        self._path = path

    def connect(self) -> None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            sock.settimeout(self.timeout)
            sock.connect(self._path)
        except BaseException:
            sock.close()
            raise
        self.sock = sock


class ProtocolError(MedcubeError, ConnectionError):
    """The engine's answer is not HTTP as expected (http.client's own errors, as the connection failure it is)."""


class Response:
    """One answer of the engine: ``status``, ``reason``, header(), and the body, read with read(); close() also
    from another thread while a read waits (the socket is shut down first). After an upgrade (101, as attach
    answers), the body is the raw stream that follows, until the connection closes."""

    def __init__(self, response: http.client.HTTPResponse, sock: socket.socket | None):
        self._response = response
        self._sock = sock
        self.status, self.reason = response.status, response.reason
        self._raw = response.fp if response.status == 101 else None

    def header(self, name: str) -> str | None:
        return self._response.getheader(name)

    def read(self, n: int = -1) -> bytes:
        """Up to ``n`` bytes of the body, as soon as some arrive (all of it for -1); b"" at its end."""
        try:
            if self._raw is not None:
                return self._raw.read() if n < 0 else self._raw.read1(n)
            return self._response.read() if n < 0 else self._response.read1(n)
        except (http.client.HTTPException, ValueError) as e:
            if isinstance(e, ValueError) and self._closed():
                raise  # a read of a file closed by another thread: the caller's own close
            raise ProtocolError(f"{type(e).__name__}: {e}") from e

    def _closed(self) -> bool:
        fp = self._raw if self._raw is not None else self._response.fp
        return fp is None or fp.closed

    def close(self) -> None:
        if self._sock is not None:
            try:
                self._sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        fp = self._raw if self._raw is not None else self._response.fp
        if fp is not None:
            fp.close()  # waits for a read under way in another thread, which the shutdown ended
        if self._sock is not None:
            self._sock.close()
