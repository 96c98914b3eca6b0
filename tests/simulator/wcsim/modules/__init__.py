"""Registry of the module models: one file per module in this package.

Writing a model (e.g. for ``trustbound.wincontainers.container_steps``)::

    from wcsim.modules import Model, ModuleFailure, register

    @register
    class ContainerSteps(Model):
        name = "trustbound.wincontainers.container_steps"   # FQCN, as the manifest names it
        options = {                                          # shape of the .ps1's $spec options
            "steps": {"type": "list", "elements": "dict", "required": True},
            "registry_password": {"type": "str", "no_log": True},
        }
        returns = frozenset({"results", "failed_step"})      # top-level keys it may return
        supports_check_mode = True

        def run(self, host, params, check_mode, diff):
            # host: wcsim.host.Host (host.engine, host.windows, host.state, ...)
            # params: arguments after Ansible.Basic's validation (defaults applied)
            ...
            return {"changed": True, "results": [...], "failed_step": None}

``run`` returns the module's result (what ``$module.ExitJson()`` prints, rc 0)
or raises ``ModuleFailure`` (``$module.FailJson()``, rc 1) or
``wcsim.windows.UnhandledError`` (an uncaught PowerShell error, rc 1). The
runner (``wcsim.runner``) validates the arguments first, with Ansible.Basic's
messages, skips models without check-mode support in check mode, and fails
loudly if ``run`` returns a key that is not in ``returns`` (or standard).
"""

from __future__ import annotations

import importlib
import pkgutil
from typing import Any, ClassVar

from ..ansible_basic import validate_spec

# Keys any Ansible.Basic module may return besides its own.
STANDARD_RETURNS = frozenset(
    {
        "changed",
        "failed",
        "msg",
        "skipped",
        "invocation",
        "warnings",
        "deprecations",
        "diff",
        "exception",
    }
)

# Spec entries besides options/supports_check_mode a model may set.
_SPEC_EXTRAS = (
    "mutually_exclusive",
    "required_together",
    "required_one_of",
    "required_if",
    "required_by",
)


class ModuleFailure(Exception):
    """``$module.FailJson(msg)``: the result gets ``failed: true``, ``msg`` and ``extra``; rc 1."""

    def __init__(self, msg: str, **extra: Any) -> None:
        super().__init__(msg)
        self.msg = msg
        self.extra = extra


class Model:
    """Base class of a module model (implements ``wcsim.interface.ModuleModel``)."""

    name: ClassVar[str] = ""
    options: ClassVar[dict[str, dict[str, Any]]] = {}
    returns: ClassVar[frozenset[str]] = frozenset()
    supports_check_mode: ClassVar[bool] = False
    # True: runs of this model are not serialised with the host's other requests; the model
    # takes ``host.exclusive()`` around each change (see Fleet.handle).
    concurrent: ClassVar[bool] = False
    mutually_exclusive: ClassVar[list[list[str]]] = []
    required_together: ClassVar[list[list[str]]] = []
    required_one_of: ClassVar[list[list[str]]] = []
    required_if: ClassVar[list[list[Any]]] = []
    required_by: ClassVar[dict[str, list[str]]] = {}

    def spec(self) -> dict[str, Any]:
        """The whole ``$spec`` as Ansible.Basic sees it."""
        spec: dict[str, Any] = {
            "options": self.options,
            "supports_check_mode": self.supports_check_mode,
        }
        for key in _SPEC_EXTRAS:
            if getattr(self, key):
                spec[key] = getattr(self, key)
        return spec

    def run(
        self, host: Any, params: dict[str, Any], check_mode: bool, diff: bool
    ) -> dict[str, Any]:
        raise NotImplementedError


REGISTRY: dict[str, Model] = {}


def register(cls: type[Model]) -> type[Model]:
    """Class decorator: validate the model's spec and register one instance by FQCN."""
    model = cls()
    if model.name.count(".") != 2:
        raise ValueError(f"{cls.__name__}: name must be a FQCN (namespace.collection.module)")
    if model.name in REGISTRY and type(REGISTRY[model.name]) is not cls:
        raise ValueError(f"{model.name} is registered twice ({cls.__name__})")
    validate_spec(model.spec(), (model.name,))
    REGISTRY[model.name] = model
    return cls


def resolve(name: str) -> str | None:
    """The registered FQCN for ``name``.

    The exec manifest names a module by its collection path
    (``ansible_collections.ansible.windows.plugins.modules.win_ping.ps1``),
    so a task written as ``win_ping`` or ``ansible.builtin.win_ping`` (which
    ansible-core's ``config/ansible_builtin_runtime.yml`` redirects to
    ``ansible.windows.win_ping``) arrives as the FQCN. Short and builtin
    forms are accepted too, for callers that pass the task's name.
    """
    if name in REGISTRY:
        return name
    short = name.rsplit(".", 1)[-1]
    if name in (short, f"ansible.builtin.{short}", f"ansible.legacy.{short}"):
        candidate = f"ansible.windows.{short}"
        if candidate in REGISTRY:
            return candidate
    return None


def get(name: str) -> Model | None:
    """The model for a module name (FQCN, or a short/builtin name of an ansible.windows module)."""
    fqcn = resolve(name)
    return REGISTRY[fqcn] if fqcn else None


def load_all() -> dict[str, Model]:
    """Import every model in this package (each registers itself) and return the registry."""
    for info in pkgutil.iter_modules(__path__):
        importlib.import_module(f"{__name__}.{info.name}")
    return REGISTRY
