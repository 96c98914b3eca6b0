# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""A module's DOCUMENTATION and RETURN, read the way ansible-doc reads them (with fragments)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class ModuleDocs:
    path: str
    documentation: dict[str, Any]
    returns: dict[str, Any]

    @property
    def options(self) -> dict[str, Any]:
        return self.documentation.get("options") or {}

    @property
    def check_mode_support(self) -> str | None:
        """``attributes.check_mode.support`` (full, partial, none), None when not documented."""
        attribute = (self.documentation.get("attributes") or {}).get("check_mode") or {}
        return attribute.get("support")


# The repository's .venv/collections links ansible_collections/trustbound/wincontainers
# to the repository root (see tests/conftest.py), so its doc fragments resolve.
COLLECTIONS_PATH = Path(__file__).resolve().parents[3] / ".venv" / "collections"


@cache
def _init_loader() -> None:
    from ansible.plugins.loader import init_plugin_loader
    from ansible.utils.collection_loader import AnsibleCollectionConfig

    # tests/conftest.py installs the loader first when pytest runs the checker.
    if AnsibleCollectionConfig.collection_finder is None:
        init_plugin_loader([str(COLLECTIONS_PATH)] if COLLECTIONS_PATH.is_dir() else [])


def plain(value: Any) -> Any:
    """Ansible's tagged YAML values as plain Python values (for comparing and printing)."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, bool) or value is None:
        return value
    for kind in (str, int, float):
        if isinstance(value, kind):
            return kind(value)
    return value


def load_docs(path: Path, collection: str | None = None) -> ModuleDocs:
    """DOCUMENTATION and RETURN of a module doc file (.py or .yml); raises on unreadable docs."""
    _init_loader()
    from ansible.plugins.loader import fragment_loader
    from ansible.utils.plugin_docs import get_docstring

    documentation, _examples, returns, _metadata = get_docstring(
        str(path.resolve()), fragment_loader, is_module=True, collection_name=collection
    )
    if not documentation:
        raise ValueError(f"{path}: no DOCUMENTATION")
    return ModuleDocs(str(path), plain(documentation), plain(returns or {}))
