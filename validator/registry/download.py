"""Files a registered entity names by URL and sha256 (the demo dataset, a cube's additional files tarball): fetched
once into a cache keyed by the sha256, checked, and reused.

- cached: `<cache>/medperf/files/<sha256>`; a file already there with that hash is not fetched again.
- bounded: at most MEDCUBE_MAX_DOWNLOAD_BYTES (default 8 GiB) per file, refused from Content-Length before a
  byte is read and again while reading; a read that waits more than MEDCUBE_DOWNLOAD_TIMEOUT seconds (default 60)
  is a stall.
- resumable: the bytes fetched so far stay in `<sha256>.part`; a cut connection is resumed with an HTTP Range
  request (3 tries in a run; the next run goes on from the same part).
- checked: the sha256 of the whole file must be the registered one, else it is deleted and nothing runs.
- progress on stderr.

URLs are `http(s)://...` or MedPerf's `direct:<URL>`; other MedPerf sources (`synapse:`) are refused with a message.
No token is sent: MedPerf's own client fetches these files without one (comms/entity_resources/sources/direct.py).
"""

from __future__ import annotations

import os
import re
import ssl
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from validator import hostfs
from validator.errors import MedcubeError, RegistryError, UserError
from validator.textsafe import printable

CHUNK = 1 << 20
ATTEMPTS = 3
_SHA256 = re.compile(r"^[0-9a-f]{64}$")


def _number(var: str, default: float) -> float:
    text = os.environ.get(var, "").strip()
    try:
        value = float(text) if text else default
    except ValueError:
        raise UserError(f"{var}={text!r} is not a number", hint=f"unset {var} or give a number") from None
    if value <= 0:
        raise UserError(f"{var}={text!r} must be above 0", hint=f"unset {var} or give a positive number")
    return value


def max_bytes() -> int:
    return int(_number("MEDCUBE_MAX_DOWNLOAD_BYTES", 8 << 30))


def stall_seconds() -> float:
    return _number("MEDCUBE_DOWNLOAD_TIMEOUT", 60.0)


def files_dir() -> Path:
    from validator.cachedir import cache_dir

    return cache_dir() / "medperf" / "files"


def registered_sha256(value: object, what: str) -> str:
    text = value.strip().lower() if isinstance(value, str) else ""
    if text.startswith("sha256:"):
        text = text[len("sha256:"):]
    if not _SHA256.match(text):
        raise RegistryError(f"{what}: the registered hash {printable(str(value))[:80]!r} is not a sha256",
                            hint="MedPerf records the sha256 of the file (64 hexadecimal characters)")
    return text


def plain_url(value: object, what: str) -> str:
    text = value.strip() if isinstance(value, str) else ""
    if text.startswith("direct:"):
        text = text[len("direct:"):]
    if not text.startswith(("https://", "http://")) or any(c.isspace() for c in text):
        shown = printable(str(value))[:200]
        if isinstance(value, str) and value.startswith("synapse:"):
            raise RegistryError(f"{what} is on Synapse ({shown}); medcube fetches direct links only",
                                hint="run `medperf test run` for this benchmark, or ask its owner for a direct URL")
        raise RegistryError(f"{what}: {shown!r} is not an http(s) URL", hint="MedPerf registers a URL (or direct:URL)")
    return text


class _Progress:
    """One line per quarter (a new line each, in a log) or one line rewritten (on a terminal), on stderr."""

    def __init__(self, what: str, quiet: bool):
        self.what, self.quiet = what, quiet
        self.tty = sys.stderr.isatty()
        self.shown = -1
        self.last = 0.0

    def __call__(self, done: int, total: int | None, final: bool = False) -> None:
        if self.quiet:
            return
        mib = f"{done / (1 << 20):.1f} MiB" + (f" of {total / (1 << 20):.1f} MiB" if total else "")
        if self.tty:
            now = time.monotonic()
            if final or now - self.last > 0.2:
                self.last = now
                print(f"\r  downloading {self.what}: {mib}", end="\n" if final else "", file=sys.stderr, flush=True)
            return
        step = 4 * done // total if total else 0
        if (final and self.shown < 4) or step > self.shown:
            self.shown = 4 if final else step
            print(f"  downloading {self.what}: {mib}", file=sys.stderr, flush=True)


def fetch(url: object, sha256: object, what: str, context: ssl.SSLContext | None = None,
          quiet: bool = False, suffix: str = "") -> Path:
    """The file at ``url`` whose sha256 is ``sha256``, from the cache or downloaded into it (named
    ``<sha256><suffix>``); a RegistryError naming ``what`` and the URL otherwise."""
    digest = registered_sha256(sha256, what)
    link = plain_url(url, what)
    folder = files_dir()
    target = folder / f"{digest}{suffix}"
    with hostfs.locked(folder.parent / "locks" / f"{digest}.lock"):
        folder.mkdir(parents=True, exist_ok=True)
        if target.is_file():
            from validator.archive import sha256_file

            if sha256_file(target) == digest:
                return target
            target.unlink()  # changed in the cache: never trusted
        part = folder / f"{digest}.part"
        progress = _Progress(what, quiet)
        error: RegistryError | None = None
        for _ in range(ATTEMPTS):
            try:
                _download(link, part, what, context, progress)
                error = None
                break
            except _Cut as e:
                error = RegistryError(f"{what}: the download from {printable(link)} was cut ({e}) "
                                      f"{ATTEMPTS} times", hint="run again: it goes on from the bytes it has")
        if error is not None:
            raise error
        from validator.archive import sha256_file

        actual = sha256_file(part)
        if actual != digest:
            part.unlink()
            raise RegistryError(f"{what}: the file at {printable(link)} does not match its registered sha256 "
                                f"(registered {digest}, downloaded {actual})",
                                hint="the file was changed after it was registered: ask the benchmark's owner to "
                                     "register it again; nothing was run")
        os.replace(part, target)
        return target


class _Cut(MedcubeError):
    """The connection ended before the file did: resumable."""


def _download(url: str, part: Path, what: str, context: ssl.SSLContext | None, progress: _Progress) -> None:
    have = part.stat().st_size if part.is_file() else 0
    limit = max_bytes()
    request = urllib.request.Request(url)
    if have:
        request.add_header("Range", f"bytes={have}-")
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context))
    try:
        answer = opener.open(request, timeout=stall_seconds())
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # the part already holds every byte (or more): the hash decides
            return
        if e.code == 404:
            raise RegistryError(f"{what}: {printable(url)} does not exist (404)",
                                hint="the registered URL is gone: ask the benchmark's owner") from None
        raise RegistryError(f"{what}: {printable(url)} answered HTTP {e.code}",
                            hint="try again later; ask the benchmark's owner if it stays") from None
    except (urllib.error.URLError, OSError) as e:
        from validator.registry.client import connection_failure

        raise connection_failure(url, e) from None
    with answer:
        if answer.status == 206 and have:
            start = re.match(r"bytes (\d+)-", answer.headers.get("Content-Range", ""))
            if not start or int(start.group(1)) != have:
                have = 0  # a range we did not ask for: start over
                answer.close()
                part.unlink()
                raise _Cut("the server answered another range")
            mode = "ab"
        else:
            have, mode = 0, "wb"  # the whole file: the server does not do ranges
        length = answer.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        if total is not None and total > limit:
            raise RegistryError(f"{what}: {printable(url)} is {total} bytes, over the cap of {limit}",
                                hint="raise MEDCUBE_MAX_DOWNLOAD_BYTES if the file is meant to be that big")
        done = have
        with open(part, mode) as out:
            while True:
                try:
                    block = answer.read(CHUNK)
                except (OSError, urllib.error.URLError) as e:  # reset, timeout (a stall), a short chunked body
                    raise _Cut(f"after {done} bytes: {printable(str(e))[:120] or type(e).__name__}") from None
                except Exception as e:  # http.client.IncompleteRead
                    raise _Cut(f"after {done} bytes: {type(e).__name__}") from None
                if not block:
                    break
                done += len(block)
                if done > limit:
                    out.close()
                    part.unlink()
                    raise RegistryError(f"{what}: {printable(url)} sent more than the cap of {limit} bytes",
                                        hint="raise MEDCUBE_MAX_DOWNLOAD_BYTES if the file is meant to be that big")
                out.write(block)
                progress(done, total)
        if total is not None and done < total:
            raise _Cut(f"after {done} of {total} bytes")
        progress(done, total, final=True)
