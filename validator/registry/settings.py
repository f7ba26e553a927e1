"""Which MedPerf server, which certificate and which token, taken as MedPerf's own CLI takes them.

- the server: `--medperf-server URL`, else the `server` of MedPerf's active profile (`medperf profile set --server`),
  else MedPerf's public server. As MedPerf's REST client does (comms/rest.py `parse_url`), the scheme is dropped,
  HTTPS is always used and `/api/v0` (the CLI's major version) is appended.
- the certificate: `--medperf-certificate PATH` (as `medperf profile set --certificate`), else the active profile's
  when the server is that profile's; it is trusted besides the system's certificate authorities.
- the token: `MEDPERF_TOKEN`, else MedPerf's stored login of the active profile (`medperf auth login`), read and never
  written: `credentials` in `~/.medperf_config/config.yaml` (or `$MEDPERF_CONFIG_STORAGE`) names the account, its
  access token is the file `.tokens/<base64 of the email>/medperf_access_token` beside it (account_management/,
  token_storage/filesystem.py). The stored login is used only for the server of the profile it belongs to.

The token lives in `Server.token` only (left out of its repr) and is never printed or written by medcube.
"""

from __future__ import annotations

import base64
import os
import ssl
import time
from dataclasses import dataclass, field
from pathlib import Path

from validator.errors import RegistryError

DEFAULT_SERVER = "https://api.medperf.org"  # medperf/config.py `server`
API_PATH = "/api/v0"  # f"/api/v{major_version}" in comms/rest.py; MedPerf's CLI is 0.3.0
TOKEN_ENV = "MEDPERF_TOKEN"
CONFIG_STORAGE_ENV = "MEDPERF_CONFIG_STORAGE"  # medperf/config.py `config_storage`
_MAX_CONFIG = 1 << 20
_MAX_TOKEN = 64 << 10


@dataclass(frozen=True)
class Server:
    url: str  # https://host[:port], as shown to the user
    certificate: Path | None
    token: str | None = field(repr=False, default=None)
    token_source: str = "none"  # where the token came from, for messages (never the token)

    @property
    def api(self) -> str:
        return self.url + API_PATH

    def ssl_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context()
        if self.certificate is not None:
            try:
                context.load_verify_locations(cafile=str(self.certificate))
            except (OSError, ssl.SSLError) as e:
                raise RegistryError(f"--medperf-certificate {self.certificate}: not a readable PEM certificate ({e})",
                                    hint="pass the server's certificate (or its authority's) in PEM form") from None
        return context


def server_url(value: str) -> str:
    """MedPerf's parse_url, without the API path: any scheme is dropped and https used; no trailing slash."""
    text = value.strip()
    if "://" in text:
        text = text.split("://", 1)[1]
    text = text.rstrip("/")
    if not text or any(c.isspace() or c in "?#@" for c in text):
        raise RegistryError(f"--medperf-server {value!r} is not a server address", hint="e.g. https://api.medperf.org")
    return "https://" + text


def config_storage(environ=os.environ) -> Path:
    env = environ.get(CONFIG_STORAGE_ENV)
    return Path(env).expanduser() if env else Path.home() / ".medperf_config"


def _active_profile(environ) -> tuple[str | None, dict]:
    """(name, profile) of MedPerf's active profile; (None, {}) when MedPerf is not set up here."""
    path = config_storage(environ) / "config.yaml"
    try:
        with open(path, "rb") as f:
            text = f.read(_MAX_CONFIG + 1)
    except OSError:
        return None, {}
    import yaml

    try:
        data = yaml.safe_load(text[:_MAX_CONFIG])
        name = data["active_profile_name"]
        profile = data["profiles"][name]
    except Exception:  # not MedPerf's layout: ignore it, as if MedPerf were not set up
        return None, {}
    return (str(name), profile) if isinstance(profile, dict) else (None, {})


def _stored_token(environ, profile_name: str, profile: dict, now: float) -> str | None:
    creds = profile.get("credentials")
    if not isinstance(creds, dict) or not isinstance(creds.get("email"), str):
        return None
    issued, expires_in = creds.get("token_issued_at"), creds.get("token_expires_in")
    if isinstance(issued, (int, float)) and isinstance(expires_in, (int, float)) and issued + expires_in <= now:
        raise RegistryError(
            f"the MedPerf login stored for profile {profile_name!r} has expired (its access token was valid until "
            f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime(issued + expires_in))})",
            hint="run any `medperf` command that talks to the server (it renews the token), or `medperf auth login`; "
                 f"or set {TOKEN_ENV}")
    folder = base64.b64encode(creds["email"].encode("utf-8")).decode("ascii")
    token_file = config_storage(environ) / ".tokens" / folder / "medperf_access_token"
    try:
        with open(token_file, "rb") as f:
            token = f.read(_MAX_TOKEN).decode("utf-8", "replace").strip()
    except OSError as e:
        raise RegistryError(f"MedPerf's profile {profile_name!r} has a login but its access token cannot be read "
                            f"({e.strerror or e})", hint=f"log in again (`medperf auth login`) or set {TOKEN_ENV}") from None
    return token or None


def resolve(server: str | None = None, certificate: Path | None = None, environ=os.environ,
            now: float | None = None) -> Server:
    """The server, certificate and token to use (see the module docstring). Reads MedPerf's files, writes nothing."""
    profile_name, profile = _active_profile(environ)
    profile_server = profile.get("server") if isinstance(profile.get("server"), str) else None
    url = server_url(server or profile_server or DEFAULT_SERVER)
    same = profile_server is not None and server_url(profile_server) == url
    if certificate is None and same and isinstance(profile.get("certificate"), str):
        certificate = Path(profile["certificate"]).expanduser()
    if certificate is not None and not Path(certificate).is_file():
        raise RegistryError(f"the certificate {certificate} does not exist",
                            hint="pass --medperf-certificate the server's certificate file (PEM)")
    token = (environ.get(TOKEN_ENV) or "").strip() or None
    source = TOKEN_ENV if token else "none"
    if token is None and same and profile_name is not None:
        token = _stored_token(environ, profile_name, profile, time.time() if now is None else now)
        source = f"MedPerf's login of profile {profile_name!r}" if token else "none"
    if token is not None and any(c in token for c in "\r\n\x00"):
        raise RegistryError(f"the token from {source} holds a line break", hint="give the access token alone")
    return Server(url=url, certificate=Path(certificate) if certificate else None, token=token, token_source=source)
