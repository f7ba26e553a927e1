"""A small client of the Docker Engine API: what medcube does on every run, over the engine's unix socket (or TCP,
with TLS when DOCKER_TLS_VERIFY / DOCKER_CERT_PATH say so, as the docker CLI and SDK read them).

It inspects images, and creates, starts, attaches to, waits for, inspects, kills and removes containers, reads
their logs and stats, lists them by label. Builds and pulls go through the docker SDK (``Engine.sdk()``), imported
only then: the SDK with requests and urllib3 costs about 80 ms at every start of medcube. HTTP is the standard
library's http.client (validator.engine.client.transport adds a connection class for the unix socket).

Every call opens its own connection (a unix socket connects in microseconds), so threads never share one. Names
that go into a URL path are quoted, and a name with a `.` or `..` segment is refused before it is sent. An answer
that is no HTTP, or a body cut short, is an EngineError like a refused connection.
"""

from __future__ import annotations

import http.client
import json
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlencode, urlsplit

from validator.engine.client.transport import Response, TlsSettings, UnixConnection
from validator.errors import MedcubeError

DEFAULT_HOST = "unix:///var/run/docker.sock"
DEFAULT_TIMEOUT = 300.0  # seconds an ordinary call may take
_CHUNK = 64 * 1024  # the most of one output frame held in memory at a time
_STDIN, _STDOUT, _STDERR = 0, 1, 2
_DEFAULT: Any = object()  # a call given no timeout waits Engine.timeout


class EngineError(MedcubeError):
    """The engine answered with an error status (or the connection failed): ``status`` (0 for no answer) and the
    engine's own ``explanation``."""

    def __init__(self, status: int, explanation: str):
        super().__init__(f"{status} {explanation}" if status else explanation)
        self.status = status
        self.explanation = explanation

    @property
    def not_found(self) -> bool:
        return self.status == 404


class EngineTimeout(EngineError):
    """A call outlived its timeout (the wait for a container past the task's --timeout)."""

    def __init__(self, explanation: str):
        super().__init__(0, explanation)


class Engine:
    """A connection to one Docker engine: ``Engine.from_env()`` reads DOCKER_HOST like the docker CLI and SDK."""

    def __init__(self, host: str = DEFAULT_HOST, timeout: float = DEFAULT_TIMEOUT):
        self.host = host
        self.timeout = timeout
        self.version: str | None = None  # the engine's API version, from ping(): every path is prefixed with it
        self._sdk: Any = None
        self._sdk_lock = threading.Lock()  # submissions build from several threads
        url = urlsplit(host)
        self._unix: str | None = None
        self._address: tuple[str, int] | None = None
        self._tls: TlsSettings | None = None
        if url.scheme == "unix":
            self._unix = url.path or "/var/run/docker.sock"
        elif url.scheme in ("tcp", "http", "https"):
            if not url.hostname:
                raise ValueError(f"DOCKER_HOST {host!r} names no host")
            self._address = (url.hostname, url.port or 2375)
            if url.scheme != "http":
                self._tls = TlsSettings.from_env(required=url.scheme == "https")
        else:
            raise ValueError(f"DOCKER_HOST {host!r}: medcube talks to an engine over unix:// or tcp:// "
                             f"(with TLS), not {url.scheme or 'this'}://")

    @classmethod
    def from_env(cls, timeout: float = DEFAULT_TIMEOUT) -> Engine:
        return cls(os.environ.get("DOCKER_HOST") or DEFAULT_HOST, timeout)

    # -- transport --------------------------------------------------------------------------------------------------
    def _url(self, path: str, params: dict[str, Any] | None = None) -> str:
        url = f"/v{self.version}{path}" if self.version else path
        if params:
            url += "?" + urlencode({k: _param(v) for k, v in params.items() if v is not None})
        return url

    def connection(self, timeout: float | None = None) -> http.client.HTTPConnection:
        """A new, unopened HTTP connection to the engine (unix socket, TCP or TLS)."""
        if self._unix is not None:
            return UnixConnection(self._unix, timeout)
        assert self._address is not None
        host, port = self._address
        if self._tls is not None:
            return http.client.HTTPSConnection(host, port, timeout=timeout, context=self._tls.context())
        return http.client.HTTPConnection(host, port, timeout=timeout)

    def _open(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
              timeout: Any = _DEFAULT, headers: dict[str, str] | None = None) -> Response:
        """Send a request on a connection of its own; the response, its headers read. Errors -> EngineError."""
        data = json.dumps(body).encode() if body is not None else None
        hdrs = {"User-Agent": "medcube", "Connection": "close", **(headers or {})}
        if data is not None:
            hdrs["Content-Type"] = "application/json"
        conn = self.connection(self.timeout if timeout is _DEFAULT else timeout)
        with _failures(f"{method} {path}"):
            try:
                conn.connect()
                sock = conn.sock
                conn.request(method, self._url(path, params), body=data, headers=hdrs)
                response = Response(conn.getresponse(), sock)
            except BaseException:
                conn.close()
                raise
        if response.status >= 400:
            try:
                text = response.read(_CHUNK).decode("utf-8", "replace")
            except OSError:
                text = ""
            finally:
                response.close()
            raise EngineError(response.status, _message(text) or response.reason)
        return response

    def _call(self, method: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None,
              timeout: Any = _DEFAULT) -> Any:
        """A request and its whole answer: JSON decoded, else the bytes (None for an empty answer)."""
        response = self._open(method, path, params=params, body=body, timeout=timeout)
        data = _read_all(response, f"{method} {path}")
        if not data:
            return None
        if "json" in (response.header("Content-Type") or ""):
            return json.loads(data)
        return data

    # -- the engine -------------------------------------------------------------------------------------------------
    def ping(self) -> None:
        """Raises EngineError when no engine answers; learns its API version (the version every later call uses,
        as the SDK negotiates it)."""
        response = self._open("GET", "/_ping")
        _read_all(response, "GET /_ping")
        self.version = response.header("Api-Version") or self.version

    def info(self) -> dict[str, Any]:
        return self._call("GET", "/info") or {}

    def server_version(self) -> dict[str, Any]:
        """`GET /version`: Docker's, or Podman's ("Podman Engine" among its Components)."""
        return self._call("GET", "/version") or {}

    def libpod_info(self) -> dict[str, Any]:
        """Podman's own `/libpod/info` (rootless, cgroup version and controllers, id mappings); {} elsewhere."""
        try:
            return self._call("GET", "/libpod/info") or {}
        except EngineError as e:
            if e.not_found:
                return {}
            raise

    def image(self, name: str) -> dict[str, Any] | None:
        """`docker image inspect NAME` (a tag or an id), or None when there is no such image."""
        try:
            return self._call("GET", f"/images/{_segment(name)}/json")
        except EngineError as e:
            if e.not_found:
                return None
            raise

    # -- containers -------------------------------------------------------------------------------------------------
    def create(self, body: dict[str, Any]) -> str:
        """Create a container from an Engine API body (validator.engine.tasks.spec); its id."""
        return self._call("POST", "/containers/create", body=body)["Id"]

    def start(self, cid: str) -> None:
        self._call("POST", f"/containers/{_segment(cid)}/start")

    def wait(self, cid: str, timeout: float | None) -> dict[str, Any]:
        """Wait for the container to exit ({"StatusCode": n, ...}); EngineTimeout after ``timeout`` seconds."""
        return self._call("POST", f"/containers/{_segment(cid)}/wait", timeout=timeout) or {}

    def kill(self, cid: str) -> None:
        self._call("POST", f"/containers/{_segment(cid)}/kill")

    def inspect(self, cid: str) -> dict[str, Any]:
        return self._call("GET", f"/containers/{_segment(cid)}/json") or {}

    def remove(self, cid: str) -> None:
        """Remove the container and its anonymous volumes, running or not; one already gone is fine."""
        try:
            self._call("DELETE", f"/containers/{_segment(cid)}", params={"force": True, "v": True})
        except EngineError as e:
            if not e.not_found:
                raise

    def containers(self, label: str) -> list[str]:
        """Ids of every container, running or not, that carries the label (``key=value``)."""
        found = self._call("GET", "/containers/json", params={"all": True, "filters": json.dumps({"label": [label]})})
        return [c["Id"] for c in found or []]

    def attach(self, cid: str) -> OutputStream:
        """The container's output from its start on (stdout and stderr as the engine multiplexes them), as a
        stream of byte chunks; attach before start and nothing is missed. No read timeout: the stream ends when
        the container does, or when close() is called. Without `logs` (as `docker run` attaches): with it, the engine
        replays what the container wrote so far as well, and output written while the attach is set up came twice."""
        response = self._open("POST", f"/containers/{_segment(cid)}/attach",
                               params={"stream": True, "stdout": True, "stderr": True},
                               timeout=None, headers={"Connection": "Upgrade", "Upgrade": "tcp"})
        return OutputStream(response)

    def logs(self, cid: str) -> bytes:
        """The engine's copy of the container's output (stdout and stderr, in order)."""
        response = self._open("GET", f"/containers/{_segment(cid)}/logs", params={"stdout": True, "stderr": True})
        with _failures(f"GET /containers/{cid}/logs"):
            return b"".join(OutputStream(response))

    def stats(self, cid: str) -> Iterator[dict[str, Any]]:
        """The engine's stats samples of a running container, about one a second, until it stops."""
        response = self._open("GET", f"/containers/{_segment(cid)}/stats", params={"stream": True}, timeout=None)
        pending = b""
        try:
            while True:
                data = response.read(_CHUNK)
                if not data:
                    return
                pending += data
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    if line.strip():
                        yield json.loads(line)
                if len(pending) > 16 * _CHUNK:
                    raise EngineError(0, "a stats sample longer than 1 MiB")
        finally:
            response.close()

    # -- the SDK, for builds and pulls ------------------------------------------------------------------------------
    def sdk(self):
        """A docker SDK client for the same engine (builds, pulls), made at the first call."""
        with self._sdk_lock:
            if self._sdk is None:
                import docker

                self._sdk = docker.DockerClient(**self.sdk_kwargs(self.timeout))
            return self._sdk

    def sdk_kwargs(self, timeout: float) -> dict[str, Any]:
        """The address and TLS settings this client resolved, as the docker SDK's client takes them."""
        return {"base_url": self.host, "timeout": max(1, int(timeout)),
                "tls": self._tls.sdk() if self._tls is not None else False}

    def close(self) -> None:
        if self._sdk is not None:
            self._sdk.close()
            self._sdk = None


class OutputStream:
    """A container's output as the engine sends it: frames of an 8-byte header (stream, 0, 0, 0, size as a big
    endian uint32) and a payload, yielded as byte chunks of at most 64 KiB (raw bytes for a TTY, which medcube never
    asks for). Iterating ends at the stream's end, or at close() from another thread."""

    def __init__(self, response: Response, tty: bool = False):
        self._response = response
        self._raw = tty
        self._closed = False

    def __iter__(self) -> Iterator[bytes]:
        try:
            if self._raw:
                while chunk := self._read(_CHUNK):
                    yield chunk
                return
            while True:
                header = self._read_exactly(8)
                if len(header) < 8 or header[0] not in (_STDIN, _STDOUT, _STDERR):
                    return  # the end, or not a frame: the stream is not what the engine sends
                size = int.from_bytes(header[4:8], "big")
                while size > 0:
                    chunk = self._read_exactly(min(size, _CHUNK))
                    if not chunk:
                        return
                    size -= len(chunk)
                    yield chunk
        finally:
            self.close()

    def _read(self, n: int) -> bytes:
        if self._closed:
            return b""
        try:
            return self._response.read(n)
        except (OSError, ValueError):
            if self._closed:  # closed from another thread while a read waited
                return b""
            raise

    def _read_exactly(self, n: int) -> bytes:
        out = b""
        while len(out) < n:
            chunk = self._read(n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._response.close()


@contextmanager
def _failures(what: str) -> Iterator[None]:
    """A connection's failures as EngineError: EngineTimeout for a timeout; no socket, refused, reset, or an answer
    that is no HTTP (http.client's errors) otherwise."""
    try:
        yield
    except TimeoutError as e:
        raise EngineTimeout(f"{what}: no answer within the timeout") from e
    except (OSError, http.client.HTTPException) as e:
        raise EngineError(0, f"{what}: {type(e).__name__}: {e}") from e


def _read_all(response: Response, what: str) -> bytes:
    """The whole body; the connection closed."""
    with _failures(what):
        try:
            return response.read()
        finally:
            response.close()


def _param(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _segment(name: str) -> str:
    """A name (image, container id) as one URL path part: quoted; `.` and `..` segments refused."""
    if not isinstance(name, str) or not name or any(part in (".", "..") for part in name.split("/")):
        raise EngineError(400, f"not an image or container name: {name!r}")
    return quote(name, safe="/:@")


def _message(text: str) -> str:
    try:
        data = json.loads(text)
    except ValueError:
        return text.strip()[:500]
    if isinstance(data, dict) and isinstance(data.get("message"), str):
        return data["message"]
    return text.strip()[:500]

