"""A stand-in for a MedPerf server, for the tests of validator.registry (no MedPerf server is reachable from here).

It answers the endpoints medcube reads the way MedPerf's Django server does (server/benchmark, mlcube and model
views and serializers, MedPerf main 2026-05): `GET /api/v0/benchmarks/<id>/` (BenchmarkPublicSerializer),
`/api/v0/mlcubes/<id>/` (MlCubeSerializer), `/api/v0/models/<id>/` (ModelSerializer, the container nested), a
bearer token or 401 `{"detail": ...}`, 404 `{"detail": "Not found."}`. Over HTTPS with a self-signed certificate made
here (cryptography). It also serves the files the entities name (`/files/<name>`, with HTTP Range), and can cut or
stall a file's first answer. Every request is logged (path, Range, whether a token came) for the tests to read.
"""

from __future__ import annotations

import datetime
import ipaddress
import json
import re
import ssl
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "chestxray"
TOKEN = "tok-9f8e7d6c5b4a-standin-secret"
NOW = "2026-05-01T10:00:00.000000Z"


def self_signed(folder: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 and localhost, PEM."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "medperf-standin")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=7))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost"),
                                                        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "server.crt", folder / "server.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_file, key_file


@dataclass
class StandIn:
    token: str = TOKEN
    benchmarks: dict[int, dict] = field(default_factory=dict)
    mlcubes: dict[int, dict] = field(default_factory=dict)
    models: dict[int, dict] = field(default_factory=dict)
    files: dict[str, bytes] = field(default_factory=dict)
    cut_once: set[str] = field(default_factory=set)  # files whose first answer stops halfway
    stall: dict[str, float] = field(default_factory=dict)  # file -> seconds to wait after the headers
    redirects: dict[str, str] = field(default_factory=dict)  # path -> where a 302 sends it
    log: list[dict] = field(default_factory=list)
    url: str = ""
    certificate: Path | None = None

    def file_requests(self) -> list[dict]:
        return [r for r in self.log if r["path"].startswith("/files/")]


def _handler(state: StandIn):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):  # quiet
            pass

        def _json(self, code: int, data) -> None:
            body = json.dumps(data).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_GET(self):  # noqa: N802 (http.server's name)
            auth = self.headers.get("Authorization")
            state.log.append({"path": self.path, "range": self.headers.get("Range"), "auth": auth is not None})
            if self.path in state.redirects:
                self.send_response(302)
                self.send_header("Location", state.redirects[self.path])
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self.path.startswith("/files/"):
                return self._file(self.path[len("/files/"):])
            m = re.fullmatch(r"/api/v0/(benchmarks|mlcubes|models)/(\d+)/?", self.path)
            if not m:
                return self._json(404, {"detail": "Not found."})
            if auth is None:
                return self._json(401, {"detail": "Authentication credentials were not provided."})
            if auth != f"Bearer {state.token}":
                return self._json(401, {"detail": "Given token not valid for any token type"})
            table = {"benchmarks": state.benchmarks, "mlcubes": state.mlcubes, "models": state.models}[m.group(1)]
            entity = table.get(int(m.group(2)))
            if entity is None:
                return self._json(404, {"detail": "Not found."})
            return self._json(200, entity)

        def _file(self, name: str):
            data = state.files.get(name)
            if data is None:
                return self._json(404, {"detail": "Not found."})
            start = 0
            rng = re.fullmatch(r"bytes=(\d+)-", self.headers.get("Range") or "")
            if rng:
                start = int(rng.group(1))
                if start >= len(data):
                    self.send_response(416)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
            else:
                self.send_response(200)
            body = data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            if name in state.stall:
                time.sleep(state.stall[name])
            if name in state.cut_once:
                state.cut_once.discard(name)
                self.wfile.write(body[: len(body) // 2])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


class _Server(ThreadingHTTPServer):
    def handle_error(self, request, client_address):  # a client that hangs up (a refused certificate): no traceback
        pass


def serve(state: StandIn, folder: Path):
    """Start the stand-in over HTTPS; returns (server, thread). state.url and state.certificate are set."""
    cert, key = self_signed(folder)
    server = _Server(("127.0.0.1", 0), _handler(state))
    server.daemon_threads = True
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(str(cert), str(key))
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"https://127.0.0.1:{server.server_address[1]}"
    state.certificate = cert
    return server, thread


def _mlcube(uid: int, name: str, package_dir: Path, url: str, image_hash: str) -> dict:
    """An mlcube as MedPerf's MlCubeSerializer gives it, from a `medcube package` deploy folder."""
    params = package_dir / "parameters.yaml"
    extra = package_dir / "additional_files.tar.gz"
    from validator.archive import sha256_file

    return {
        "id": uid, "name": name,
        "container_config": yaml.safe_load((package_dir / "container_config.yaml").read_text()),
        "parameters_config": (yaml.safe_load(params.read_text()) or None) if params.is_file() else None,
        "image_hash": image_hash,
        "additional_files_tarball_url": f"{url}/files/{name}-additional.tar.gz" if extra.is_file() else "",
        "additional_files_tarball_hash": sha256_file(extra) if extra.is_file() else "",
        "owner": 2, "state": "OPERATION", "is_valid": True, "metadata": {}, "user_metadata": {},
        "created_at": NOW, "modified_at": NOW,
    }


def chestxray(state: StandIn, work: Path) -> int:
    """Register the chest X-ray example as benchmark 1 (mlcubes 1-3, model 1 wrapping mlcube 2); the files are
    what `medcube package` makes of the example cubes. Returns the benchmark's id."""
    from validator.archive import sha256_file
    from validator.package import package

    url = state.url
    ids = {"data_preparator": 1, "model": 2, "metrics": 3}
    for role, uid in ids.items():
        pkg = package(EXAMPLE / role, work / f"deploy-{role}")
        name = f"chestxray-{role}"
        state.mlcubes[uid] = _mlcube(uid, name, pkg.folder, url, "sha256:" + f"{uid:02d}" * 32)
        extra = pkg.folder / "additional_files.tar.gz"
        if extra.is_file():
            state.files[f"{name}-additional.tar.gz"] = extra.read_bytes()
    state.models[1] = {"id": 1, "name": "chestxray-cnn", "owner": 2, "state": "OPERATION", "is_valid": True,
                       "metadata": {}, "user_metadata": {}, "type": "CONTAINER", "container": state.mlcubes[2],
                       "asset": None, "created_at": NOW, "modified_at": NOW}
    demo = EXAMPLE / "demo_data" / "demo_data.tar.gz"
    state.files["demo_data.tar.gz"] = demo.read_bytes()
    state.benchmarks[1] = {
        "id": 1, "name": "chestxray", "description": "Chest X-ray (stand-in)", "docs_url": "", "owner": 2,
        "demo_dataset_tarball_url": f"{url}/files/demo_data.tar.gz", "demo_dataset_tarball_hash": sha256_file(demo),
        "demo_dataset_generated_uid": "0" * 40, "data_preparation_mlcube": 1, "reference_model": 1,
        "data_evaluator_mlcube": 3, "metadata": {}, "state": "OPERATION", "is_valid": True, "is_active": True,
        "approval_status": "APPROVED", "dataset_auto_approval_mode": "NEVER", "model_auto_approval_mode": "NEVER",
        "user_metadata": {}, "approved_at": NOW, "created_at": NOW, "modified_at": NOW,
    }
    return 1
