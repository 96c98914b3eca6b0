"""Make the collection importable as ansible_collections.trustbound.wincontainers.

The repository root is the collection. Python (and ansible) find it through a
symlink ``.venv/collections/ansible_collections/trustbound/wincontainers``
that ``make venv`` creates; this creates it too when pytest runs first.

Ansible's collection loader is installed before any test module is imported,
as ansible-test does for unit tests: a collection first imported as a plain
package would lack the metadata that ansible's own code (the PowerShell
module manifest, the plugin loaders) later asks the loader for.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS_ROOT = REPO_ROOT / ".venv" / "collections"
_LINK = COLLECTIONS_ROOT / "ansible_collections" / "trustbound" / "wincontainers"

if not _LINK.exists():
    _LINK.parent.mkdir(parents=True, exist_ok=True)
    _LINK.symlink_to(REPO_ROOT, target_is_directory=True)

if str(COLLECTIONS_ROOT) not in sys.path:
    sys.path.insert(0, str(COLLECTIONS_ROOT))

from ansible.plugins.loader import init_plugin_loader  # noqa: E402

init_plugin_loader([str(COLLECTIONS_ROOT)])
