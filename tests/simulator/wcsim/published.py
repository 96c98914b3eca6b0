"""Tags that move: what ``wcsim publish`` wrote, shared by the CLI and the running fleet.

Microsoft rebuilds the Windows base images every month and moves the floating
tags (``ltsc2022``) to the new image; version tags pin one (MicrosoftDocs
Virtualization-Documentation ``deploy-containers/update-containers.md``). The
fleet file gives a tag its first image (``os_version``) and the revisions it
may move to later (``later``). ``wcsim publish`` records a move in
``<state_dir>/registry-published.json``; the fleet reads that file at every
lookup, so a move made while the fleet runs is seen by the next pull, as a
registry push would be.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

PUBLISHED_FILE = "registry-published.json"
CATALOGUE_FILE = "registry-tags.json"  # {ref: [os_version, *later]}, written at fleet load


def read(state_dir: Path) -> dict[str, str]:
    try:
        return dict(json.loads((state_dir / PUBLISHED_FILE).read_text(encoding="utf-8")))
    except FileNotFoundError:
        return {}


def _write(path: Path, data: object) -> None:
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(temporary, path)


def write_catalogue(state_dir: Path, catalogue: dict[str, list[str]]) -> None:
    _write(state_dir / CATALOGUE_FILE, catalogue)


def publish(state_dir: Path, ref: str, os_version: str) -> None:
    """Move ``ref`` to the image of ``os_version``; refuses what the fleet file does not offer."""
    try:
        catalogue = json.loads((state_dir / CATALOGUE_FILE).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ValueError(f"no {CATALOGUE_FILE} in {state_dir}: start the fleet first") from None
    if ref not in catalogue:
        known = ", ".join(sorted(catalogue)) or "none"
        raise ValueError(f"image {ref} is not in the fleet registry (images: {known})")
    if os_version not in catalogue[ref]:
        raise ValueError(
            f"image {ref}: the fleet file offers revisions {', '.join(catalogue[ref])}, not"
            f" {os_version} (add it to the image's 'later' list)"
        )
    published = read(state_dir)
    published[ref] = os_version
    _write(state_dir / PUBLISHED_FILE, published)


def reset(state_dir: Path) -> None:
    (state_dir / PUBLISHED_FILE).unlink(missing_ok=True)
