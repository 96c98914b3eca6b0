# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Make the checker (pscheck) and the simulator (wcsim) importable."""

from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
for path in (HERE, HERE.parent / "simulator"):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
