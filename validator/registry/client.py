"""The MedPerf REST endpoints medcube reads, and nothing else: three GETs with the bearer token, over HTTPS.

    GET {server}/api/v0/benchmarks/{uid}/  name, demo_dataset_tarball_url, demo_dataset_tarball_hash, metadata,
                                           data_preparation_mlcube, reference_model, data_evaluator_mlcube
    GET {server}/api/v0/mlcubes/{uid}/     name, container_config, parameters_config, image_hash,
                                           additional_files_tarball_url, additional_files_tarball_hash
    GET {server}/api/v0/models/{uid}/      type (CONTAINER | ASSET), container (an mlcube, nested)

As MedPerf's client (comms/rest.py get_benchmark, get_cube_metadata, get_model) and server (benchmark/, mlcube/,
model/ serializers) have them. `reference_model` is a model's id, not an mlcube's. Answers are JSON from a server
medcube does not control: bounded in size, and checked field by field before use. Every failure is a
RegistryError naming the entity and the URL; the token is sent as `Authorization: Bearer` to the server only
(on a redirect only to the same scheme, host and port) and appears in no message.
"""

from __future__ import annotations

import json
import socket
import ssl
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

from validator.errors import RegistryError
from validator.registry.settings import TOKEN_ENV, Server
from validator.textsafe import printable

MAX_ANSWER = 8 << 20  # bytes of one JSON answer
TIMEOUT = 60.0  # seconds without an answer


def _detail(body: bytes) -> str:
    """The server's own words (DRF's {"detail": ...} or field errors), shortened and made printable."""
    try:
        data = json.loads(body[:4096].decode("utf-8", "replace"))
        text = data.get("detail") if isinstance(data, dict) and "detail" in data else data
    except ValueError:
        text = body[:200].decode("utf-8", "replace")
    return printable(str(text))[:200]


def connection_failure(url: str, error: BaseException, server: Server | None = None) -> RegistryError:
    """An error that means no answer came: the certificate, the name, the port, a timeout."""
    reason = getattr(error, "reason", error)
    if isinstance(reason, ssl.SSLCertVerificationError) or isinstance(reason, ssl.SSLError):
        return RegistryError(f"{url}: the HTTPS certificate was not accepted ({printable(str(reason))[:200]})",
                             hint="a server with its own certificate needs --medperf-certificate PATH "
                                  "(as `medperf profile set --certificate`)")
    if isinstance(reason, (socket.timeout, TimeoutError)):
        return RegistryError(f"{url}: no answer within {TIMEOUT:g} s", hint="check the server address and the network")
    return RegistryError(f"{url}: the server cannot be reached ({printable(str(reason))[:200]})",
                         hint="check --medperf-server (default: MedPerf's active profile, else https://api.medperf.org) "
                              "and the network")


def _origin(url: str) -> tuple[str, str]:
    parts = urllib.parse.urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


class _SameOriginAuth(urllib.request.HTTPRedirectHandler):
    """A redirect keeps the token on the same scheme, host and port only (as `requests` does for MedPerf's client);
    urllib's unredirected header is otherwise dropped on every redirect."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        new = super().redirect_request(req, fp, code, msg, headers, newurl)
        token = req.unredirected_hdrs.get("Authorization")
        if new is not None and token and _origin(newurl) == _origin(req.full_url):
            new.add_unredirected_header("Authorization", token)
        return new


class Client:
    def __init__(self, server: Server):
        self.server = server
        self._opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=server.ssl_context()),
                                                   _SameOriginAuth())

    def get(self, path: str, what: str) -> dict[str, Any]:
        url = f"{self.server.api}/{path.strip('/')}/"
        request = urllib.request.Request(url, headers={"Accept": "application/json"})
        if self.server.token:
            request.add_unredirected_header("Authorization", f"Bearer {self.server.token}")
        try:
            with self._opener.open(request, timeout=TIMEOUT) as answer:
                body = answer.read(MAX_ANSWER + 1)
        except urllib.error.HTTPError as e:
            final = e.geturl() or url
            if e.code == 401 and _origin(final) != _origin(url):
                raise RegistryError(f"{what}: {url} redirected to {printable(final)}, another server, which asks "
                                    "for a login (401); medcube sends the token to the MedPerf server only",
                                    hint="check --medperf-server: give the address the API answers at") from None
            raise self._refused(e.code, _detail(e.read(4096) if e.fp else b""), url, what) from None
        except (urllib.error.URLError, OSError) as e:
            raise connection_failure(url, e, self.server) from None
        if len(body) > MAX_ANSWER:
            raise RegistryError(f"{what}: the answer of {url} is over {MAX_ANSWER >> 20} MiB",
                                hint="this is not what a MedPerf server sends: check --medperf-server")
        try:
            data = json.loads(body.decode("utf-8"))
        except ValueError:
            raise RegistryError(f"{what}: {url} did not answer with JSON",
                                hint="check --medperf-server: it names the server, e.g. https://api.medperf.org") from None
        if not isinstance(data, dict):
            raise RegistryError(f"{what}: {url} answered a JSON {type(data).__name__}, not an object")
        return data

    def _refused(self, code: int, detail: str, url: str, what: str) -> RegistryError:
        said = f" (the server says: {detail})" if detail else ""
        if code == 401:
            if not self.server.token:
                return RegistryError(f"{what}: {url} needs a login (401){said}",
                                     hint=f"log in with `medperf auth login`, or set {TOKEN_ENV} to an access token")
            return RegistryError(f"{what}: {url} refused the token from {self.server.token_source} (401: expired or "
                                 f"not valid){said}",
                                 hint=f"log in again (`medperf auth login`) or set {TOKEN_ENV} to a fresh token")
        if code == 403:
            return RegistryError(f"{what}: {url} is not open to this account (403){said}",
                                 hint="ask the benchmark's owner for access, or use the account that owns it")
        if code == 404:
            return RegistryError(f"{what} does not exist on {self.server.url} (404 at {url}){said}",
                                 hint="check the UID (`medperf benchmark ls` lists them) and --medperf-server")
        return RegistryError(f"{what}: {url} answered HTTP {code}{said}", hint="try again later, or check the server")

    def benchmark(self, uid: int) -> dict[str, Any]:
        return self.get(f"benchmarks/{uid}", f"benchmark {uid}")

    def container(self, uid: int) -> dict[str, Any]:
        return self.get(f"mlcubes/{uid}", f"container {uid}")

    def model(self, uid: int) -> dict[str, Any]:
        return self.get(f"models/{uid}", f"model {uid}")
