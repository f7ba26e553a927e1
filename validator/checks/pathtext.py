"""Strings no file system, command line or container engine takes, found in a cube's config before anything uses
them: a NUL byte anywhere (no path, argument or environment value can hold one), and a host or mount path longer
than Linux allows (4095 bytes, 255 a name).

Everything after the reading stage turns these values into paths and arguments; a value the operating system
refuses would end there in a ValueError or an OSError, so it is refused here, as a finding with its place. This
module reads the parsed document only, never the disk.
"""

from __future__ import annotations

from typing import Any

from validator import codes as C
from validator.findings import Finding, error

PATH_MAX = 4095  # bytes of a path, NUL excluded (Linux)
NAME_MAX = 255  # bytes of one name in it


def _strings(data):
    """(path, key or value, is_key) for every string in data, iteratively (the reader bounds the depth anyway)."""
    stack: list[tuple[tuple, Any]] = [((), data)]
    while stack:
        path, value = stack.pop()
        if isinstance(value, str):
            yield path, value, False
        elif isinstance(value, dict):
            for k, v in value.items():
                if isinstance(k, str):
                    yield path + (k,), k, True
                stack.append((path + (k,), v))
        elif isinstance(value, list):
            stack.extend((path + (i,), v) for i, v in enumerate(value))


def _is_path(fmt: str, path: tuple) -> bool:
    """Whether the value at path names a host path (mlcube.yaml) or a mount path (container_config.yaml)."""
    if fmt == "mlcube":
        if path in (("docker", "build_context"), ("docker", "build_file")):
            return True
        # tasks.T.parameters.inputs|outputs.LABEL, as a string or as {type, default}
        return (len(path) in (5, 6) and path[0] == "tasks" and path[2] == "parameters"
                and path[3] in ("inputs", "outputs") and (len(path) == 5 or path[5] == "default"))
    # tasks.T.input_volumes|output_volumes.LABEL.mount_path
    return (len(path) == 5 and path[0] == "tasks" and path[2] in ("input_volumes", "output_volumes")
            and path[4] == "mount_path")


def _too_long(text: str) -> str | None:
    raw = text.encode("utf-8", errors="surrogatepass")
    if len(raw) > PATH_MAX:
        return f"is {len(raw)} bytes long, longer than a path can be ({PATH_MAX})"
    longest = max(raw.split(b"/"), key=len)
    if len(longest) > NAME_MAX:
        return f"holds a name of {len(longest)} bytes, longer than a file name can be ({NAME_MAX})"
    return None


def check_text(doc, fmt: str, file: str) -> list[Finding]:
    """MC103 for every key or value with a NUL byte, and every path value longer than Linux allows."""
    findings: list[Finding] = []
    for path, text, is_key in _strings(doc.data):
        if "\x00" in text:
            where = ".".join(map(str, path)) or "the top level"
            line, column = doc.pos(path, key=is_key)
            findings.append(error(C.BAD_VALUE, file, f"{'the key' if is_key else 'the value of'} {where} holds a NUL "
                                  "byte (\\x00): no file name, command or argument can",
                                  hint="Remove the NUL byte (in YAML, a \"\\0\" escape in a double-quoted string).",
                                  line=line, column=column))
        elif not is_key and _is_path(fmt, path):
            problem = _too_long(text)
            if problem is not None:
                where = ".".join(map(str, path)) or "the top level"
                line, column = doc.pos(path, key=is_key)
                findings.append(error(C.BAD_VALUE, file, f"the path {where} {problem}",
                                      hint="Use a shorter path: a folder or file of the cube, named as usual.",
                                      line=line, column=column))
    return findings
