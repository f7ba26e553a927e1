"""The size of built images, for reports; best effort: no engine, no size (never an error)."""

from __future__ import annotations


def image_sizes(tags: list[str]) -> dict[str, int]:
    """{tag: size in bytes} of the tags the local engine holds; {} when no engine answers."""
    from validator.engine.client.connect import connect
    from validator.errors import EngineUnavailable

    wanted = sorted({t for t in tags if t})
    if not wanted:
        return {}
    from validator.engine.client.api import EngineError

    try:
        engine = connect(timeout=10)
    except EngineUnavailable:
        return {}
    sizes: dict[str, int] = {}
    for tag in wanted:
        try:
            size = (engine.image(tag) or {}).get("Size")
        except EngineError:  # an error answer, a connection dropped: the report says "-"
            continue
        if isinstance(size, int):
            sizes[tag] = size
    return sizes
