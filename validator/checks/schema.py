"""Schema check: the config against its JSON Schema, each error at the YAML line of the offending node."""

from __future__ import annotations

from validator import codes as C
from validator.checks.suggest import closest
from validator.findings import Finding, error
from validator.manifest import schemas
from validator.manifest.yamlread import Doc


def _where(path) -> str:
    return ".".join(str(p) for p in path) or "top level"


def _allowed(schema: dict) -> list[str]:
    return sorted((schema.get("properties") or {}).keys())


def check_doc(doc: Doc, schema_name: str, display: str) -> list[Finding]:
    if schemas.conforms(doc.data, schema_name):
        return []  # valid: jsonschema, which names each problem, is not needed (nor imported)
    findings: list[Finding] = []
    suggested: set[tuple] = set()  # (parent path, missing key) already covered by a did-you-mean
    errors = sorted(schemas.validator(schema_name).iter_errors(doc.data), key=lambda e: list(map(str, e.absolute_path)))
    additional = [e for e in errors if e.validator == "additionalProperties"]
    for e in additional:
        path = tuple(e.absolute_path)
        allowed = _allowed(e.schema)
        extras = [k for k in e.instance if k not in (e.schema.get("properties") or {})]
        for key in extras:
            best = closest(key, allowed)
            line, col = doc.pos(path + (key,), key=True)
            expected = f"one of: {', '.join(allowed)}" if allowed else "no keys here"
            if best:
                suggested.add((path, best))
            findings.append(
                error(
                    C.UNKNOWN_KEY,
                    display,
                    f"unknown key '{key}' in {_where(path)}" + (f" (did you mean '{best}'?)" if best else ""),
                    hint=f"Expected {expected}." + (f" Rename '{key}' to '{best}'." if best else ""),
                    line=line,
                    column=col,
                )
            )
    for e in errors:
        if e.validator == "additionalProperties":
            continue
        if e.validator in ("oneOf", "anyOf") and e.context:
            # Report the branch whose type matched (then the deepest error) to keep the message specific.
            depth = len(e.absolute_path)
            shaped = lambda c, depth=depth: c.validator != "type" or len(c.absolute_path) > depth  # noqa: E731
            best = max(e.context, key=lambda c: (shaped(c), c.validator == "additionalProperties", len(c.absolute_path)))
            if best.validator == "additionalProperties":
                extras = [k for k in best.instance if k not in (best.schema.get("properties") or {})]
                allowed = _allowed(best.schema)
                for key in extras:
                    bkey = closest(key, allowed)
                    line, col = doc.pos(tuple(best.absolute_path) + (key,), key=True)
                    findings.append(
                        error(C.UNKNOWN_KEY, display,
                              f"unknown key '{key}' in {_where(best.absolute_path)}"
                              + (f" (did you mean '{bkey}'?)" if bkey else ""),
                              hint=f"Expected one of: {', '.join(allowed)}.", line=line, column=col))
                continue
            if shaped(best):
                e = best  # the branch of the right shape: report its own problem (missing key, bad value)
        path = tuple(e.absolute_path)
        if e.validator == "required":
            missing = [k for k in e.validator_value if k not in e.instance]
            for key in missing:
                if (path, key) in suggested:
                    continue
                line, col = doc.pos(path, key=True)
                findings.append(
                    error(C.MISSING_KEY, display, f"missing required key '{key}' in {_where(path)}",
                          hint=f"Add '{key}:' under {_where(path)}.", line=line, column=col)
                )
            continue
        line, col = doc.pos(path)
        findings.append(
            error(C.BAD_VALUE, display, f"{_where(path)}: {_short(e)}", hint=_hint(e), line=line, column=col)
        )
    return findings


def _short(e) -> str:
    if e.validator == "enum":
        return f"{e.instance!r} is not one of {', '.join(map(str, e.validator_value))}"
    if e.validator == "type":
        expected = e.validator_value if isinstance(e.validator_value, str) else " or ".join(e.validator_value)
        return f"expected {expected}, got {type(e.instance).__name__} {e.instance!r}"
    if e.validator == "pattern":
        return f"{e.instance!r} is not well formed"
    if e.validator in ("oneOf", "anyOf"):
        return f"{e.instance!r} is neither a string nor a mapping of the expected form"
    if e.validator == "minProperties":
        return "must not be empty"
    return e.message


def _hint(e) -> str | None:
    if e.validator == "pattern" and "image" in map(str, e.absolute_path):
        return "Use a Docker image reference such as 'myrepo/my-model:0.1.0' (lowercase, optional registry and tag)."
    if e.validator == "enum":
        return f"Use one of: {', '.join(map(str, e.validator_value))}."
    if e.validator == "minProperties":
        return "Declare at least one entry."
    desc = e.schema.get("description") if isinstance(e.schema, dict) else None
    if e.validator == "type" and not desc:
        expected = [e.validator_value] if isinstance(e.validator_value, str) else list(e.validator_value)
        return f"Write {' or '.join(_TYPE_WORDS.get(t, t) for t in expected)} here."
    return desc


_TYPE_WORDS = {"object": "a mapping (key: value lines)", "array": "a list", "string": "a string", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "nothing"}
