# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every module the collection ships: parsed, spec vs docs, spec vs the simulator's model."""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import pytest
import yaml
from pscheck.collection import check_module, check_syntax_only, discover, module_utils

ROOT = Path(__file__).resolve().parents[2]
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text(encoding="utf-8"))
COLLECTION = f"{GALAXY['namespace']}.{GALAXY['name']}"
MODULES = discover(ROOT)
PSM1 = module_utils(ROOT)


def simulator_model(fqcn: str) -> Any:
    """The wcsim model registered for a module, None when there is none."""
    from wcsim import modules

    load_all = getattr(modules, "load_all", None)
    if load_all is not None:  # models register themselves when imported
        load_all()
    get = getattr(modules, "get", None)
    if get is None:
        raise LookupError("wcsim.modules has no get(fqcn): the simulator must expose its models")
    try:
        return get(fqcn)
    except KeyError:
        return None


def _module_params() -> list[Any]:
    params = [pytest.param(module, id=module.name) for module in MODULES]
    if not any(module.ps1 is not None for module in MODULES):
        reason = "no .ps1 modules in plugins/modules yet"
        params.append(pytest.param(None, id="no-ps1", marks=pytest.mark.skip(reason=reason)))
    return params


def _psm1_params() -> list[Any]:
    if not PSM1:
        reason = "no .psm1 files in plugins/module_utils"
        return [pytest.param(None, id="none", marks=pytest.mark.skip(reason=reason))]
    return [pytest.param(path, id=path.name) for path in PSM1]


@pytest.mark.parametrize("module", _module_params())
def test_module(module: Any) -> None:
    findings = check_module(module, ROOT, COLLECTION, simulator_model)
    assert not findings, "\n" + "\n".join(str(f) for f in findings)


@pytest.mark.parametrize("path", _psm1_params())
def test_module_util_parses(path: Path) -> None:
    findings = check_syntax_only(path, ROOT)
    assert not findings, "\n" + "\n".join(str(f) for f in findings)


def test_no_sanity_ignore_file_ignores_anything() -> None:
    """The check scripts/run-sanity makes, here too so it fails early."""
    spec = importlib.util.spec_from_file_location(
        "sanity_ignores", ROOT / "scripts" / "sanity_ignores.py"
    )
    assert spec is not None and spec.loader is not None
    sanity_ignores = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(sanity_ignores)
    from ansible.release import __version__

    version = ".".join(__version__.split(".")[:2])
    assert sanity_ignores.problems(ROOT, version) == []
