"""The tag a cube's image has: the config's image, else one derived from the cube's folder name."""

from __future__ import annotations

from validator.manifest.model import Cube


def image_name(cube: Cube) -> str:
    """The tag the cube's image has: the config's image, else one derived from the folder name."""
    if cube.image:
        return cube.image
    slug = "".join(c if c.isalnum() or c in "-_." else "-" for c in cube.path.name.lower()).strip("-.") or "cube"
    return f"medcube/{slug}:dev"
