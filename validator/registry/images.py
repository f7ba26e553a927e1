"""The registered images of a MedPerf benchmark's cubes, checked against their registered digests.

MedPerf pulls a DockerImage cube's image by the name in its container_config and compares the digest of the pulled
manifest (`docker buildx imagetools inspect`, containers/runners/docker_utils.py) with the registered
`image_hash`. With `--pull` medcube does the same: it pulls the image and looks for the registered digest among the
image's RepoDigests (what the engine records for the manifest it pulled). Without `--pull` a local image of that name
is used as it is, and said to be unchecked. A local cube given in place of a registered one is built as always.
"""

from __future__ import annotations

from collections.abc import Iterable

from validator.errors import RegistryError
from validator.registry.profile import MEDPERF_ROLE, RegisteredCube
from validator.textsafe import printable


def digest_matches(repo_digests: Iterable[str], image_hash: str) -> bool:
    """Whether one of an image's RepoDigests (`name@sha256:...`) is the registered digest (`sha256:...`)."""
    want = image_hash.strip().lower()
    if not want.startswith("sha256:"):
        want = "sha256:" + want
    return any(d.rsplit("@", 1)[-1].lower() == want for d in repo_digests)


def check_images(cubes: Iterable[RegisteredCube], pull: bool) -> list[str]:
    """Pull (when ``pull``) and check each registered cube's image; the notes to print. A digest that is not the
    registered one is a RegistryError: MedPerf refuses that image too."""
    from validator.engine.client.connect import connect

    notes: list[str] = []
    cubes = [c for c in cubes if c.image]
    if not cubes:
        return notes
    engine = connect(timeout=600)
    for cube in cubes:
        image = str(cube.image)
        shown = printable(image)
        what = f"the {MEDPERF_ROLE[cube.role]} {cube.uid}"
        if pull:
            try:
                engine.sdk().images.pull(image)
            except Exception as e:  # no registry reachable, no such image, no access
                raise RegistryError(f"{what}: its registered image {shown} could not be pulled "
                                    f"({printable(str(e))[:200]})",
                                    hint="check the registry access from this Docker engine; without --pull a local "
                                         "image of that name is used unchecked") from None
            attrs = engine.image(image) or {}
            digests = list(attrs.get("RepoDigests") or [])
            if not cube.image_hash:
                notes.append(f"{what}: image {shown} pulled; no digest is registered to compare with")
            elif digest_matches(digests, cube.image_hash):
                notes.append(f"{what}: image {shown} pulled, digest {printable(cube.image_hash)} as registered")
            else:
                raise RegistryError(f"{what}: the image {shown} pulled now is not the registered one (registered "
                                    f"{printable(cube.image_hash)}, pulled {', '.join(map(printable, digests)) or 'no digest'})",
                                    hint="the tag was pushed again after registration: MedPerf refuses it too; ask "
                                         "the cube's owner to register the new digest")
        elif engine.image(image):
            notes.append(f"{what}: the local image {shown} is used, not checked against the registered digest "
                         "(--pull pulls it and checks it, as MedPerf does)")
    return notes
